package dev.ddpm.trainer.signing;

import dev.ddpm.core.signing.ManifestSigner;
import dev.ddpm.core.signing.SigningKeys;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The trainer's signing key from its two settings, as the service's configuration or the CLI's
 * environment gives them: the key itself (PEM or base64 DER) or a file holding it, never both.
 *
 * @param keyName  the setting that holds the key itself, named in errors
 * @param fileName the setting that names the file, named in errors
 */
public record SigningKeySource(Optional<String> key, Optional<Path> file, String keyName, String fileName) {

    /** The signer, or empty when neither setting is given. */
    public Optional<ManifestSigner> signer() {
        if (key.isPresent() && file.isPresent()) {
            throw new IllegalArgumentException(
                    keyName + " and " + fileName + " are both set: give the trainer's private key one way");
        }
        if (file.isPresent()) {
            Path path = file.get();
            return Optional.of(new ManifestSigner(
                    SigningKeys.privateKey(SigningKeys.read(path, fileName), fileName + " " + path)));
        }
        return key.map(text -> new ManifestSigner(SigningKeys.privateKey(text, keyName)));
    }

    /** What to do about a missing key, for a message that names both settings. */
    public String missing() {
        return "the trainer signs every manifest it publishes and has no key: set " + keyName + " or " + fileName
                + " to an Ed25519 private key (docs/deployment.md, \"Signing keys\")";
    }
}
