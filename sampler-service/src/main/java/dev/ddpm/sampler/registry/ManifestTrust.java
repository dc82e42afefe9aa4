package dev.ddpm.sampler.registry;

import dev.ddpm.core.signing.ManifestSignatureException;
import dev.ddpm.core.signing.ManifestVerifier;
import dev.ddpm.core.signing.SigningKeys;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectIntegrityException;
import dev.ddpm.sampler.config.SamplerConfig;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Decides whether a manifest read from the models bucket may be loaded: signed by a key in
 * {@code sampler.signing.trusted-keys} / {@code trusted-key-files}. The keys are read and checked
 * when the registry is built, so a sampler with a missing or unreadable key does not start.
 */
final class ManifestTrust {

    private static final Logger LOG = Logger.getLogger(ManifestTrust.class);
    static final String TRUSTED_KEYS = "sampler.signing.trusted-keys";
    static final String TRUSTED_KEY_FILES = "sampler.signing.trusted-key-files";

    private final ArtifactStore store;
    /** null when signatures are not required (a development machine). */
    private final ManifestVerifier verifier;

    ManifestTrust(ArtifactStore store, SamplerConfig.Signing config) {
        this.store = store;
        if (!config.required()) {
            this.verifier = null;
            LOG.warn("sampler.signing.required=false: model versions load WITHOUT signature verification; anyone "
                    + "who can write the models bucket can make this sampler run a graph of their own. "
                    + "Only for a development machine.");
            return;
        }
        List<PublicKey> keys = new ArrayList<>();
        List<String> texts = config.trustedKeys().orElse(List.of());
        for (int i = 0; i < texts.size(); i++) {
            keys.add(SigningKeys.publicKey(texts.get(i), TRUSTED_KEYS + "[" + i + "]"));
        }
        for (Path path : config.trustedKeyFiles().orElse(List.of())) {
            for (Path file : keyFiles(path)) {
                keys.add(SigningKeys.publicKey(
                        SigningKeys.read(file, TRUSTED_KEY_FILES), TRUSTED_KEY_FILES + " " + file));
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(TRUSTED_KEYS + " and " + TRUSTED_KEY_FILES
                    + " name no public key: with sampler.signing.required=true (the default) the sampler loads only "
                    + "versions signed by a trusted trainer key; give it the trainer's public key "
                    + "(docs/deployment.md, \"Signing keys\")");
        }
        this.verifier = new ManifestVerifier(keys);
        LOG.infof("model versions load only when their manifest is signed by key %s", verifier.keyIds());
    }

    /**
     * Checks the manifest at {@code key} (its bytes as read) against the signature stored beside it.
     *
     * @throws ManifestSignatureException when it is not signed by a trusted key
     */
    void verify(String key, byte[] manifest) {
        if (verifier == null) {
            return;
        }
        try {
            verifier.verify(store, Buckets.MODELS, key, manifest);
        } catch (ObjectIntegrityException e) {
            throw new ManifestSignatureException("the signature of " + key + " fails its sha256: " + e.getMessage());
        }
    }

    /** The verifier of the trusted keys; null when signatures are not required. */
    ManifestVerifier verifier() {
        return verifier;
    }

    /** A file, or the {@code *.pem} files of a folder (a Secret or ConfigMap mounted as one). */
    private static List<Path> keyFiles(Path path) {
        if (!Files.isDirectory(path)) {
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException(TRUSTED_KEY_FILES + ": " + path + " does not exist");
            }
            return List.of(path);
        }
        try (Stream<Path> files = Files.list(path)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".pem") && Files.isRegularFile(f))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new IllegalArgumentException(TRUSTED_KEY_FILES + ": cannot list " + path + ": " + e);
        }
    }
}
