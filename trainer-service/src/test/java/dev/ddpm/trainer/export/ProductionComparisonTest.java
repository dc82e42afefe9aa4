package dev.ddpm.trainer.export;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.signing.ManifestSignatureException;
import dev.ddpm.core.signing.ManifestSigner;
import dev.ddpm.core.signing.SigningKeys;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.testing.TestStack;
import dev.ddpm.service.testing.GaussianModel;
import dev.ddpm.service.testing.TestOnlySigningKeys;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The quality gate loads the production version's graph into ONNX Runtime inside the trainer, which
 * holds the signing key: only a version this trainer signed gets that far.
 */
class ProductionComparisonTest {

    @Test
    void onlyAProductionVersionSignedByThisTrainerIsLoadedForComparison() {
        try (ArtifactStore store = new ArtifactStore(TestStack.s3())) {
            store.ensureBuckets(Buckets.ALL);
            String model = "gate-sig-" + UUID.randomUUID().toString().substring(0, 8);
            ProductionComparison gate = new ProductionComparison(
                    store,
                    TestOnlySigningKeys.SIGNER.verifier(),
                    () -> {
                        throw new ProbeReached();
                    },
                    1);
            ManifestSigner stranger = new ManifestSigner(SigningKeys.generate().getPrivate());

            String unsigned = place(store, model, "v1", null);
            String foreign = place(store, model, "v2", stranger);
            String own = place(store, model, "v3", TestOnlySigningKeys.SIGNER);

            assertThatThrownBy(() -> compare(gate, model, unsigned))
                    .isInstanceOf(ManifestSignatureException.class)
                    .hasMessageContaining("is not signed");
            assertThatThrownBy(() -> compare(gate, model, foreign))
                    .isInstanceOf(ManifestSignatureException.class)
                    .hasMessageContaining("signed by key " + stranger.keyId());
            // Past the signature, the comparison goes on to its probe.
            assertThatThrownBy(() -> compare(gate, model, own)).isInstanceOf(ProbeReached.class);
        }
    }

    private static void compare(ProductionComparison gate, String model, String version) {
        gate.evaluate(model, version, 0.1, null, GaussianModel.DIFFUSION, new ModelManifest.Image(1, 16, 16));
    }

    /** A version of a 16x16 Gaussian model, its manifest signed by {@code signer} (null: unsigned). */
    private static String place(ArtifactStore store, String model, String version, ManifestSigner signer) {
        GaussianModel m = new GaussianModel(model, version, GaussianModel.pattern(1, 16, 0), 0.2, 1, 16);
        byte[] graph = m.graph();
        ObjectRef ref =
                store.put(Buckets.MODELS, model + "/" + version + "/unet.onnx", graph, "application/octet-stream");
        ModelManifest manifest = m.manifest(graph, ref, Instant.now());
        String key = model + "/" + version + "/manifest.json";
        if (signer == null) {
            store.putJson(Buckets.MODELS, key, manifest);
        } else {
            signer.putJson(store, Buckets.MODELS, key, manifest);
        }
        return version;
    }

    private static final class ProbeReached extends RuntimeException {}
}
