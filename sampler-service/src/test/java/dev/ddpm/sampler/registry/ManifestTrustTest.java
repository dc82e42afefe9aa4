package dev.ddpm.sampler.registry;

import dev.ddpm.core.signing.InvalidKeyMaterialException;
import dev.ddpm.core.signing.ManifestSignatureException;
import dev.ddpm.core.signing.ManifestSigner;
import dev.ddpm.core.signing.SigningKeys;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.service.testing.TestOnlySigningKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sampler's trusted keys as configured: read at start, refused there when missing or unreadable. */
class ManifestTrustTest {

    private static final byte[] MANIFEST = "{\"name\":\"m\"}".getBytes();

    @Test
    void withoutATrustedKeyTheSamplerDoesNotStartAndSaysWhichSettingsToSet() {
        assertThatThrownBy(() -> new ManifestTrust(null, signing(true, List.of(), List.of())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(
                        "sampler.signing.trusted-keys and sampler.signing.trusted-key-files name no public key");
    }

    @Test
    void anUnreadableKeyIsNamedByItsSetting() {
        assertThatThrownBy(() -> new ManifestTrust(
                        null, signing(true, List.of(TestOnlySigningKeys.PUBLIC_KEY, "garbage!"), List.of())))
                .isInstanceOf(InvalidKeyMaterialException.class)
                .hasMessageContaining("sampler.signing.trusted-keys[1]");
        assertThatThrownBy(() -> new ManifestTrust(null, signing(true, List.of(), List.of(Path.of("/nowhere.pem")))))
                .hasMessageContaining("sampler.signing.trusted-key-files: /nowhere.pem does not exist");
    }

    @Test
    void aFolderOfPemFilesTrustsEachOfThem(@TempDir Path dir) throws IOException {
        KeyPair current = SigningKeys.generate();
        KeyPair next = SigningKeys.generate();
        Files.writeString(dir.resolve("current.pem"), SigningKeys.pem(current.getPublic()));
        Files.writeString(dir.resolve("next.pem"), SigningKeys.pem(next.getPublic()));
        Files.writeString(dir.resolve("README"), "not a key");
        ManifestTrust trust = new ManifestTrust(null, signing(true, List.of(), List.of(dir)));
        for (KeyPair pair : List.of(current, next)) {
            byte[] signature = dev.ddpm.core.json.Json.write(new ManifestSigner(pair.getPrivate()).sign(MANIFEST));
            assertThatCode(() -> trust.verifier().verify("m/v1/manifest.json", MANIFEST, signature))
                    .doesNotThrowAnyException();
        }
        byte[] stranger = dev.ddpm.core.json.Json.write(TestOnlySigningKeys.SIGNER.sign(MANIFEST));
        assertThatThrownBy(() -> trust.verifier().verify("m/v1/manifest.json", MANIFEST, stranger))
                .isInstanceOf(ManifestSignatureException.class);
    }

    @Test
    void notRequiredVerifiesNothing() {
        assertThat(new ManifestTrust(null, signing(false, List.of(), List.of())).verifier())
                .isNull();
    }

    private static SamplerConfig.Signing signing(boolean required, List<String> keys, List<Path> files) {
        return new SamplerConfig.Signing() {
            public boolean required() {
                return required;
            }

            public Optional<List<String>> trustedKeys() {
                return Optional.of(keys);
            }

            public Optional<List<Path>> trustedKeyFiles() {
                return Optional.of(files);
            }
        };
    }
}
