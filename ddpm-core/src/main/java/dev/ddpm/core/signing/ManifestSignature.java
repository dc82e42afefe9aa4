package dev.ddpm.core.signing;

import dev.ddpm.core.json.Require;

/**
 * The detached signature of a manifest, stored beside it as {@code manifest.json.sig}: an Ed25519
 * signature over the manifest's exact bytes as stored.
 *
 * @param algorithm always {@code Ed25519}
 * @param keyId     the signing key's id ({@link SigningKeys#keyId}), which tells a verifier which trusted key to use
 * @param signature the signature, base64
 */
public record ManifestSignature(String algorithm, String keyId, String signature) {

    /** The signature's key is the manifest's with this appended. */
    public static final String SUFFIX = ".sig";

    public ManifestSignature {
        Require.nonBlank(algorithm, "algorithm");
        Require.nonBlank(keyId, "keyId");
        Require.nonBlank(signature, "signature");
    }

    /** Where the signature of the manifest at {@code manifestKey} is stored. */
    public static String keyFor(String manifestKey) {
        return manifestKey + SUFFIX;
    }
}
