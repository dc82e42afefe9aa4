package dev.ddpm.trainer.run;

import ai.djl.Device;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.ModelEvaluated;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.testing.TestStack;
import dev.ddpm.service.testing.TestOnlySigningKeys;
import dev.ddpm.trainer.data.ColouredShapes;
import dev.ddpm.trainer.data.InMemoryImageSet;
import dev.ddpm.trainer.export.ModelPublisher;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TrainingSettings;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs of one model through {@link TrainingRun} with a publisher that keeps aliases, against the real
 * S3 server, ONNX Runtime and DJL: the tiny network on 8x8 colour shapes without labels, so the gate
 * measures with its pixel probe. The model's first version becomes production without a comparison;
 * a run of two steps is worse and stays a candidate, its manifest saying why; a fine-tune of the first
 * run from its step-30 checkpoint (not its newer step-60 one) trains further and is promoted.
 */
class QualityGateIT {

    private static final int SAMPLES = 32;

    private final List<ModelPublished> published = new ArrayList<>();
    private final List<EventData> aliasEvents = new ArrayList<>();
    private final List<ModelEvaluated> evaluated = new ArrayList<>();

    @Test
    void theFirstVersionIsProductionAWorseOneStaysCandidateABetterOneIsPromoted() {
        DjlEngine.configureOffline(2);
        InMemoryImageSet shapes = unlabelled(ColouredShapes.generate(160, 8, 5));
        String model = "gate-" + UUID.randomUUID().toString().substring(0, 8);
        try (ArtifactStore store = new ArtifactStore(TestStack.s3())) {
            store.ensureBuckets(Buckets.ALL);
            ModelLifecycle lifecycle = new ModelLifecycle(store, aliasEvents::add, Clock.systemUTC());
            ModelPublisher publisher = new ModelPublisher(
                    store,
                    TestOnlySigningKeys.SIGNER,
                    published::add,
                    lifecycle,
                    e -> evaluated.add((ModelEvaluated) e),
                    Clock.systemUTC());

            // (d) The first version: production, owned by the key that asked for the run.
            String first = model + "-run-1";
            Started firstStart =
                    run(store, publisher, shapes, plan(first, model, 60, 20).owner("key-ops"));
            ModelAliases afterFirst = lifecycle.aliases(model);
            assertThat(afterFirst.production()).contains(firstStart.version);
            assertThat(afterFirst.owner()).isEqualTo("key-ops");
            ModelManifest firstManifest = manifest(store, model, firstStart.version);
            assertThat(firstManifest.evaluation().production()).isNull();
            assertThat(evaluated).singleElement().satisfies(e -> {
                assertThat(e.promoted()).isTrue();
                assertThat(e.outcome()).contains("first version");
            });

            // (a) Two steps: worse than production by the figures, so it stays a candidate.
            Started worse = run(
                    store,
                    publisher,
                    shapes,
                    plan(model + "-run-2", model, 2, 0).owner("key-ops"));
            ModelAliases afterWorse = lifecycle.aliases(model);
            assertThat(afterWorse.production()).contains(firstStart.version);
            assertThat(afterWorse.candidate()).contains(worse.version);
            ModelManifest worseManifest = manifest(store, model, worse.version);
            System.out.println("worse: " + worseManifest.evaluation());
            assertThat(worseManifest.evaluation().passed()).isFalse();
            assertThat(worseManifest.evaluation().production()).isEqualTo(firstStart.version);
            assertThat(worseManifest.evaluation().reason())
                    .startsWith("worse than production " + firstStart.version)
                    .contains("quality_pixel_fd");
            assertThat(worseManifest.evaluation().candidateMetrics())
                    .containsKeys("quality_pixel_fd", "quality_nearest_train");
            assertThat(worseManifest.evaluation().productionMetrics()).containsKey("quality_pixel_fd");
            assertThat(evaluated.get(1).promoted()).isFalse();
            assertThat(evaluated.get(1).outcome()).startsWith("kept as candidate: worse than production");

            // (b) A fine-tune of the first run from its step-30 checkpoint, 90 steps further: promoted.
            Started better = run(
                    store,
                    publisher,
                    shapes,
                    plan(model + "-run-3", model, 120, 20)
                            .owner("key-ops")
                            .resumeFrom(first)
                            .resumeFromStep(30L));
            assertThat(better.startStep)
                    .as("the checkpoint asked for, not the run's newest")
                    .isEqualTo(30);
            ModelManifest betterManifest = manifest(store, model, better.version);
            System.out.println("better: " + betterManifest.evaluation());
            assertThat(betterManifest.training().step()).isEqualTo(120);
            assertThat(betterManifest.evaluation().passed()).isTrue();
            assertThat(lifecycle.aliases(model).production()).contains(better.version);
            assertThat(evaluated.get(2).promoted()).isTrue();
            assertThat(evaluated.get(2).outcome()).isEqualTo("promoted");
            assertThat(published).hasSize(3);
        }
    }

    private static RunPlan.Builder plan(String runId, String model, long steps, int warmup) {
        TrainingSettings settings = TrainingSettings.builder()
                .architecture(UNetPresets.withImage(UNetPresets.byName("tiny"), 3, 8))
                .batchSize(16)
                .learningRate(2e-3f)
                .warmupSteps(warmup)
                .emaDecay(0.99f)
                .horizontalFlip(true)
                .seed(7)
                .build();
        return RunPlan.builder()
                .runId(runId)
                .modelName(model)
                .dataset("shapes")
                .settings(settings)
                .totalSteps(steps)
                .checkpointEvery(30)
                .progressEvery(1000)
                .gridEvery(1000)
                .qualitySamples(SAMPLES);
    }

    private record Started(long startStep, String version) {}

    private static Started run(
            ArtifactStore store, ModelPublisher publisher, InMemoryImageSet data, RunPlan.Builder plan) {
        long[] startStep = {-1};
        String[] version = {null};
        RunListener listener = new RunListener() {
            @Override
            public void started(long parameterCount, String device, long start, long totalSteps) {
                startStep[0] = start;
            }

            @Override
            public void progress(RunProgress progress) {}

            @Override
            public void checkpointSaved(long step, ObjectRef checkpoint) {}

            @Override
            public void completed(long step, double loss, ObjectRef checkpoint, String modelVersion) {
                version[0] = modelVersion;
            }

            @Override
            public void failed(long step, String reason) {}
        };
        new TrainingRun(plan.build(), data, Device.cpu(), store, listener, publisher).run(() -> false);
        return new Started(startStep[0], version[0]);
    }

    private static ModelManifest manifest(ArtifactStore store, String model, String version) {
        return store.getJson(Buckets.MODELS, model + "/" + version + "/manifest.json", ModelManifest.class);
    }

    /** The shapes without their labels: the gate falls back to its pixel probe. */
    private static InMemoryImageSet unlabelled(InMemoryImageSet labelled) {
        List<float[]> images = new ArrayList<>();
        for (int i = 0; i < labelled.size(); i++) {
            images.add(labelled.image(i));
        }
        return new InMemoryImageSet(labelled.channels(), labelled.imageSize(), images, List.of());
    }
}
