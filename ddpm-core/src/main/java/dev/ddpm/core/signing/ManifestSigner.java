package dev.ddpm.core.signing;

import dev.ddpm.core.json.Json;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.ObjectRef;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.List;

/**
 * Signs manifests with the trainer's Ed25519 key, so that a sampler loads only graphs the trainer
 * published: the manifest names each graph's sha256, and its signature covers the manifest's exact
 * bytes as stored. Whoever can write the models bucket without this key can still delete versions,
 * but cannot make a sampler load a graph of its own.
 */
public final class ManifestSigner implements ArtifactStore.PointerWrite {

    private static final String JSON = "application/json";

    private final PrivateKey key;
    private final PublicKey publicKey;
    private final String keyId;

    public ManifestSigner(PrivateKey key) {
        this.key = key;
        this.publicKey = SigningKeys.publicKeyOf(key);
        this.keyId = SigningKeys.keyId(publicKey);
    }

    /** A verifier that trusts this signer's key alone: what the signer itself may load. */
    public ManifestVerifier verifier() {
        return new ManifestVerifier(List.of(publicKey));
    }

    /** The id of the key this signer signs with (what samplers must trust). */
    public String keyId() {
        return keyId;
    }

    public ManifestSignature sign(byte[] manifest) {
        try {
            Signature signature = Signature.getInstance(SigningKeys.ALGORITHM);
            signature.initSign(key);
            signature.update(manifest);
            return new ManifestSignature(
                    SigningKeys.ALGORITHM, keyId, Base64.getEncoder().encodeToString(signature.sign()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed: " + e.getMessage(), e);
        }
    }

    /**
     * Stores {@code manifest} at {@code key} with its signature beside it, the signature first: the
     * manifest is what makes a version visible, so a reader that sees it finds its signature too.
     * A manifest that cannot be written takes its signature with it.
     */
    @Override
    public ObjectRef write(ArtifactStore store, String bucket, String key, byte[] manifest) {
        String signatureKey = ManifestSignature.keyFor(key);
        store.put(bucket, signatureKey, Json.write(sign(manifest)), JSON);
        try {
            return store.put(bucket, key, manifest, JSON);
        } catch (RuntimeException e) {
            try {
                store.delete(bucket, signatureKey);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** {@code manifest} as JSON, signed and stored at {@code key} (see {@link #write}). */
    public ObjectRef putJson(ArtifactStore store, String bucket, String key, Object manifest) {
        return write(store, bucket, key, Json.write(manifest));
    }
}
