package dev.ddpm.service.testing;

import dev.ddpm.core.signing.ManifestSigner;
import dev.ddpm.core.signing.SigningKeys;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;

/**
 * The Ed25519 key pair the test profiles sign and verify manifests with: public in this source, so
 * never to be deployed. The trainer's test profile signs with the private key, the sampler's test
 * profile (and the packaged sampler the gateway tests start) trusts the public key, and fixtures that
 * write model versions straight to S3 sign them with it, as the trainer does.
 */
public final class TestOnlySigningKeys {

    /** PKCS#8, base64 DER (as {@code trainer.signing.private-key} takes it). */
    public static final String PRIVATE_KEY = "MC4CAQAwBQYDK2VwBCIEIBT4iY9I6jZ70wS79dOLtHlaXwhhALcqxpXmlmUMZlPI";

    /** X.509 SubjectPublicKeyInfo, base64 DER (as {@code sampler.signing.trusted-keys} takes it). */
    public static final String PUBLIC_KEY = "MCowBQYDK2VwAyEAScVjEru7HDIi5YzWQKj+lwSJcpi6+XEzMKKtRZ97bSQ=";

    public static final ManifestSigner SIGNER =
            new ManifestSigner(SigningKeys.privateKey(PRIVATE_KEY, "the test-only private key"));

    private TestOnlySigningKeys() {}

    /** {@code manifest} written to the models bucket at {@code key} with its signature, as the trainer writes it. */
    public static ObjectRef putSignedManifest(ArtifactStore store, String key, Object manifest) {
        return SIGNER.putJson(store, Buckets.MODELS, key, manifest);
    }
}
