package dev.ddpm.core.signing;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.ObjectNotFoundException;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Checks a manifest against its detached signature ({@code manifest.json.sig}) with the public keys
 * a sampler trusts: several, so that a new trainer key can be trusted before versions signed with it
 * arrive and the old one dropped after.
 */
public final class ManifestVerifier {

    /** Ed25519 signatures are 64 bytes. */
    private static final int SIGNATURE_BYTES = 64;

    private final Map<String, PublicKey> trusted = new LinkedHashMap<>();

    public ManifestVerifier(Collection<PublicKey> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a verifier needs at least one trusted key");
        }
        for (PublicKey key : keys) {
            trusted.put(SigningKeys.keyId(key), key);
        }
    }

    /** The ids of the trusted keys. */
    public Set<String> keyIds() {
        return Set.copyOf(trusted.keySet());
    }

    /**
     * Verifies the manifest at {@code manifestKey} (its bytes as read) against the signature stored beside it.
     *
     * @throws ManifestSignatureException when the signature is missing or does not verify
     */
    public void verify(ArtifactStore store, String bucket, String manifestKey, byte[] manifest) {
        byte[] signature;
        try {
            signature = store.get(bucket, ManifestSignature.keyFor(manifestKey));
        } catch (ObjectNotFoundException e) {
            signature = null;
        }
        verify(manifestKey, manifest, signature);
    }

    /**
     * Verifies {@code manifest}, the bytes of the manifest at {@code manifestKey}, against
     * {@code signature}, the bytes of its signature object (null: there is none).
     *
     * @throws ManifestSignatureException when the signature is missing or does not verify
     */
    public void verify(String manifestKey, byte[] manifest, byte[] signature) {
        String signatureKey = ManifestSignature.keyFor(manifestKey);
        if (signature == null) {
            throw new ManifestSignatureException("manifest " + manifestKey + " is not signed (no " + signatureKey
                    + "); only versions signed by the trainer are loaded");
        }
        ManifestSignature parsed;
        try {
            parsed = Json.read(signature, ManifestSignature.class);
        } catch (InvalidPayloadException e) {
            throw new ManifestSignatureException("signature " + signatureKey + " is malformed: " + e.getMessage());
        }
        if (!SigningKeys.ALGORITHM.equals(parsed.algorithm())) {
            throw new ManifestSignatureException("signature " + signatureKey + " is of algorithm '" + parsed.algorithm()
                    + "'; only " + SigningKeys.ALGORITHM + " is accepted");
        }
        PublicKey key = trusted.get(parsed.keyId());
        if (key == null) {
            throw new ManifestSignatureException("manifest " + manifestKey + " is signed by key " + parsed.keyId()
                    + ", which is not trusted here (trusted: " + String.join(", ", trusted.keySet()) + ")");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(parsed.signature());
        } catch (IllegalArgumentException e) {
            throw new ManifestSignatureException("signature " + signatureKey + " is not base64: " + e.getMessage());
        }
        if (bytes.length != SIGNATURE_BYTES) {
            throw new ManifestSignatureException("signature " + signatureKey + " has " + bytes.length + " bytes; an "
                    + SigningKeys.ALGORITHM + " signature has " + SIGNATURE_BYTES);
        }
        boolean valid;
        try {
            Signature verifier = Signature.getInstance(SigningKeys.ALGORITHM);
            verifier.initVerify(key);
            verifier.update(manifest);
            valid = verifier.verify(bytes);
        } catch (GeneralSecurityException e) {
            valid = false;
        }
        if (!valid) {
            throw new ManifestSignatureException("signature " + signatureKey + " by key " + parsed.keyId()
                    + " does not match the manifest's bytes: the manifest changed after it was signed");
        }
    }
}
