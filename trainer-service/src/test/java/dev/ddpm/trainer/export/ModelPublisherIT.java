package dev.ddpm.trainer.export;

import ai.djl.Device;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.TensorSpec;
import dev.ddpm.core.signing.ManifestSignature;
import dev.ddpm.core.signing.ManifestVerifier;
import dev.ddpm.core.signing.SigningKeys;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.testing.TestStack;
import dev.ddpm.service.testing.TestOnlySigningKeys;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TinyRun;
import dev.ddpm.trainer.train.TrainingSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Publishing against the real S3 server: a version is complete and self-describing (a reader needs
 * the manifest alone), and a publish that cannot be announced leaves nothing behind.
 */
class ModelPublisherIT {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-28T12:00:00Z"), ZoneOffset.UTC);
    private static ArtifactStore store;
    private static DiffusionTrainer trainer;

    @BeforeAll
    static void open() {
        DjlEngine.configureOffline(2);
        store = new ArtifactStore(TestStack.s3());
        store.ensureBuckets(Buckets.ALL);
        trainer = new DiffusionTrainer(TinyRun.settings(), Device.cpu());
        for (int i = 0; i < 10; i++) {
            trainer.trainStep(TinyRun.DATA);
        }
    }

    @AfterAll
    static void close() {
        if (trainer != null) {
            trainer.close();
        }
        if (store != null) {
            store.close();
        }
    }

    @Test
    void aPublishedVersionCanBeServedFromItsManifestAlone() {
        String model = "pub-" + UUID.randomUUID().toString().substring(0, 8);
        List<ModelPublished> announced = new ArrayList<>();
        ModelManifest manifest = new ModelPublisher(store, TestOnlySigningKeys.SIGNER, announced::add, CLOCK)
                .publish(
                        trainer.network(), new ModelPublisher.Request(model, "run-x", true, Map.of("train_loss", 0.5)));

        assertThat(manifest.version()).isEqualTo("20261128-120000-s10");
        assertThat(announced).singleElement().satisfies(event -> {
            assertThat(event.name()).isEqualTo(model);
            assertThat(event.manifestKey()).isEqualTo(model + "/20261128-120000-s10/manifest.json");
            assertThat(store.storedSha256(Buckets.MODELS, event.manifestKey())).contains(event.sha256());
        });

        // A sampler's view: the manifest's signature verifies with the trainer's public key (its exact
        // bytes, as stored); then the graph it names (sha256-verified) runs.
        String manifestKey = announced.get(0).manifestKey();
        byte[] manifestBytes = store.get(Buckets.MODELS, manifestKey);
        new ManifestVerifier(List.of(SigningKeys.publicKey(TestOnlySigningKeys.PUBLIC_KEY, "the test-only key")))
                .verify(store, Buckets.MODELS, manifestKey, manifestBytes);
        assertThat(store.getJson(Buckets.MODELS, manifestKey + ".sig", ManifestSignature.class)
                        .keyId())
                .isEqualTo(TestOnlySigningKeys.SIGNER.keyId());
        ModelManifest read = store.getJson(Buckets.MODELS, manifestKey, ModelManifest.class);
        assertThat(read).isEqualTo(manifest);
        assertThat(read.metrics()).containsEntry("train_loss", 0.5).containsKey("onnx_parity_max_abs_diff");
        assertThat(read.onnx().inputs()).extracting(TensorSpec::name).containsExactly("x", "t");
        byte[] graph = store.get(new ObjectRef(
                Buckets.MODELS,
                read.onnx().key(),
                read.onnx().sizeBytes(),
                read.onnx().sha256()));
        ModelManifest.Image image = read.image();
        try (OnnxRuntimeDenoiser onnx =
                new OnnxRuntimeDenoiser(graph, image.channels(), image.height(), image.width())) {
            double diff = trainer.network()
                    .withEmaWeights(() -> ExportParity.maxAbsDifference(
                            onnx,
                            trainer.network().denoiser(),
                            5,
                            image.channels() * image.height() * image.width(),
                            read.diffusion().timesteps(),
                            42));
            assertThat(diff).isLessThanOrEqualTo(ExportParity.TOLERANCE);
        }

        // A second export in the same second is a new version, never an overwrite of the first.
        ModelManifest second = new ModelPublisher(store, TestOnlySigningKeys.SIGNER, announced::add, CLOCK)
                .publish(trainer.network(), new ModelPublisher.Request(model, "run-x", true, Map.of()));
        assertThat(second.version()).isEqualTo("20261128-120000-s10-2");
        assertThat(store.getJson(Buckets.MODELS, announced.get(0).manifestKey(), ModelManifest.class))
                .isEqualTo(manifest);
    }

    @Test
    void aGuidedVersionCarriesItsGuideAndItsGridIsGuided() {
        String model = "guided-" + UUID.randomUUID().toString().substring(0, 8);
        List<ModelPublished> announced = new ArrayList<>();
        try (DiffusionTrainer early = new DiffusionTrainer(TinyRun.settings(), Device.cpu())) {
            early.trainStep(TinyRun.DATA);
            ModelPublisher publisher = new ModelPublisher(store, TestOnlySigningKeys.SIGNER, announced::add, CLOCK);
            ModelManifest manifest = publisher.publish(
                    trainer.network(),
                    new ModelPublisher.Guide(early.network(), "run-early", 2),
                    new ModelPublisher.Request(model, "run-x", true, Map.of()));

            ModelManifest read = store.getJson(Buckets.MODELS, announced.get(0).manifestKey(), ModelManifest.class);
            assertThat(read).isEqualTo(manifest);
            assertThat(read.guide().weight()).isEqualTo(2.0);
            assertThat(read.guide().training()).isEqualTo(new ModelManifest.Training("run-early", 1, true, null));
            assertThat(read.guide().onnx().key()).isEqualTo(model + "/" + read.version() + "/guide.onnx");
            assertThat(read.metrics()).containsKey("guide_onnx_parity_max_abs_diff");
            // The guide's graph is the early network's, not a second copy of the model's.
            ModelManifest.Onnx g = read.guide().onnx();
            byte[] guideGraph = store.get(new ObjectRef(Buckets.MODELS, g.key(), g.sizeBytes(), g.sha256()));
            ModelManifest.Image image = read.image();
            int length = image.channels() * image.height() * image.width();
            try (OnnxRuntimeDenoiser onnx =
                    new OnnxRuntimeDenoiser(guideGraph, image.channels(), image.height(), image.width())) {
                assertThat(early.network()
                                .withEmaWeights(() -> ExportParity.maxAbsDifference(
                                        onnx,
                                        early.network().denoiser(),
                                        3,
                                        length,
                                        read.diffusion().timesteps(),
                                        5)))
                        .isLessThanOrEqualTo(ExportParity.TOLERANCE);
                assertThat(trainer.network()
                                .withEmaWeights(() -> ExportParity.maxAbsDifference(
                                        onnx,
                                        trainer.network().denoiser(),
                                        3,
                                        length,
                                        read.diffusion().timesteps(),
                                        5)))
                        .isGreaterThan(100 * ExportParity.TOLERANCE);
            }
            // The grid shows what the sampler will serve: the guided samples differ from the unguided ones.
            ModelManifest plain =
                    publisher.publish(trainer.network(), new ModelPublisher.Request(model, "run-x", true, Map.of()));
            assertThat(plain.guide()).isNull();
            assertThat(store.get(Buckets.MODELS, model + "/" + read.version() + "/samples.png"))
                    .isNotEqualTo(store.get(Buckets.MODELS, model + "/" + plain.version() + "/samples.png"));
        }
    }

    @Test
    void aGuideFromAnotherDiffusionSetupIsRefusedAndNothingIsPublished() {
        String model = "misguided-" + UUID.randomUUID().toString().substring(0, 8);
        var settings = TinyRun.settings();
        var otherDiffusion = DiffusionConfig.builder()
                .timesteps(500)
                .schedule(settings.diffusion().schedule())
                .predictionType(settings.diffusion().predictionType())
                .build();
        var otherSettings = TrainingSettings.builder()
                .architecture(settings.architecture())
                .diffusion(otherDiffusion)
                .batchSize(1)
                .learningRate(1e-4f)
                .warmupSteps(0)
                .emaDecay(0.999f)
                .seed(0)
                .build();
        try (DiffusionTrainer other = new DiffusionTrainer(otherSettings, Device.cpu())) {
            assertThatThrownBy(() -> new ModelPublisher(store, TestOnlySigningKeys.SIGNER, event -> {}, CLOCK)
                            .publish(
                                    trainer.network(),
                                    new ModelPublisher.Guide(other.network(), "run-other", 2),
                                    new ModelPublisher.Request(model, "run-x", true, Map.of())))
                    .isInstanceOf(InvalidExportException.class)
                    .hasMessageContaining("must share the model's diffusion settings");
        }
        assertThat(store.list(Buckets.MODELS, model + "/")).isEmpty();
    }

    @Test
    void aVersionOfAModelServedWithoutAliasesBecomesACandidateNotProduction() {
        String model = "legacy-" + UUID.randomUUID().toString().substring(0, 8);
        List<ModelPublished> announced = new ArrayList<>();
        ModelManifest served = new ModelPublisher(store, TestOnlySigningKeys.SIGNER, announced::add, CLOCK)
                .publish(trainer.network(), new ModelPublisher.Request(model, "run-old", true, Map.of()));
        ModelLifecycle lifecycle = new ModelLifecycle(store, event -> {}, CLOCK);
        ModelPublisher publisher =
                new ModelPublisher(store, TestOnlySigningKeys.SIGNER, announced::add, lifecycle, event -> {}, CLOCK);

        ModelManifest next = publisher.publish(
                trainer.network(), new ModelPublisher.Request(model, "run-new", true, Map.of(), "key-ops"));

        ModelAliases aliases = lifecycle.aliases(model);
        assertThat(aliases.production()).contains(served.version());
        assertThat(aliases.candidate()).contains(next.version());
        assertThat(aliases.owner()).isEqualTo("key-ops");
        assertThat(next.evaluation()).as("no gate: a candidate only").isNull();
    }

    @Test
    void aVersionThatCannotBeAnnouncedLeavesNothingBehind() {
        String model = "unannounced-" + UUID.randomUUID().toString().substring(0, 8);
        ModelPublisher publisher = new ModelPublisher(
                store,
                TestOnlySigningKeys.SIGNER,
                event -> {
                    throw new MessagingException("broker unreachable", null);
                },
                CLOCK);
        assertThatThrownBy(() -> publisher.publish(
                        trainer.network(), new ModelPublisher.Request(model, "run-y", true, Map.of())))
                .as("the broker away is an outage a later attempt gets past, not a bad export")
                .isInstanceOf(MessagingException.class)
                .isNotInstanceOf(InvalidExportException.class)
                .hasMessageContaining("was not announced")
                .hasMessageContaining("broker unreachable");
        assertThat(store.list(Buckets.MODELS, model + "/")).isEmpty();
    }
}
