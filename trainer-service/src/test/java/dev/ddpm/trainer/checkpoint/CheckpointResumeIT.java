package dev.ddpm.trainer.checkpoint;

import ai.djl.Device;
import dev.ddpm.core.events.ObjectRef;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.S3Settings;
import dev.ddpm.trainer.data.SyntheticPatterns;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TinyRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Checkpoints in the real S3 server: resume continues exactly, and a damaged checkpoint is skipped. */
class CheckpointResumeIT {

    private static final SyntheticPatterns DATA = TinyRun.DATA;
    private static ArtifactStore store;
    private static CheckpointStore checkpoints;

    @BeforeAll
    static void open() {
        DjlEngine.configureOffline(2);
        store = new ArtifactStore(new S3Settings(env("S3_ENDPOINT"), env("S3_ACCESS_KEY"), env("S3_SECRET_KEY"),
                null, Duration.ofSeconds(20)));
        store.ensureBuckets(Buckets.ALL);
        checkpoints = new CheckpointStore(store);
    }

    @AfterAll
    static void close() {
        store.close();
    }

    @Test
    void resumedRunEndsWithTheSameWeightsAsAnUninterruptedOne() {
        String run = runId();
        Map<String, float[]> uninterrupted;
        Map<String, float[]> uninterruptedEma;
        try (DiffusionTrainer trainer = trainer()) {
            train(trainer, 20);
            uninterrupted = weights(trainer);
            uninterruptedEma = ema(trainer);
        }
        try (DiffusionTrainer first = trainer()) {
            train(first, 10);
            checkpoints.save(run, first);
        }
        try (DiffusionTrainer resumed = trainer()) {
            CheckpointManifest manifest = checkpoints.resume(run, resumed).orElseThrow();
            assertThat(manifest.step()).isEqualTo(10);
            assertThat(resumed.step()).isEqualTo(10);
            train(resumed, 10);
            assertThat(maxAbsDiff(weights(resumed), uninterrupted)).isLessThanOrEqualTo(1e-6f);
            assertThat(maxAbsDiff(ema(resumed), uninterruptedEma)).isLessThanOrEqualTo(1e-6f);
        }
    }

    @Test
    void aCheckpointThatFailsItsSha256IsRefusedAndThePreviousOneIsUsed() {
        String run = runId();
        ObjectRef newest;
        try (DiffusionTrainer trainer = trainer()) {
            train(trainer, 3);
            checkpoints.save(run, trainer);
            train(trainer, 3);
            newest = checkpoints.save(run, trainer);
        }
        CheckpointManifest damaged = store.getJson(newest, CheckpointManifest.class);
        // The weights object is replaced behind the manifest's back.
        store.put(Buckets.CHECKPOINTS, damaged.weights().key(), new byte[]{1, 2, 3}, "application/octet-stream");

        try (DiffusionTrainer resumed = trainer()) {
            CheckpointManifest used = checkpoints.resume(run, resumed).orElseThrow();
            assertThat(used.step()).isEqualTo(3);
            assertThat(resumed.step()).isEqualTo(3);
        }
    }

    @Test
    void aRunWithoutCheckpointsStartsFresh() {
        try (DiffusionTrainer trainer = trainer()) {
            assertThat(checkpoints.resume(runId(), trainer)).isEmpty();
            assertThat(trainer.step()).isZero();
        }
    }

    private static DiffusionTrainer trainer() {
        return new DiffusionTrainer(TinyRun.settings(), Device.cpu());
    }

    private static void train(DiffusionTrainer trainer, int steps) {
        for (int i = 0; i < steps; i++) {
            trainer.trainStep(DATA);
        }
    }

    private static Map<String, float[]> weights(DiffusionTrainer trainer) {
        Map<String, float[]> copy = new java.util.LinkedHashMap<>();
        trainer.parameters().forEach((name, p) -> copy.put(name, p.getArray().toFloatArray()));
        return copy;
    }

    private static Map<String, float[]> ema(DiffusionTrainer trainer) {
        Map<String, float[]> copy = new java.util.LinkedHashMap<>();
        trainer.ema().shadow().forEach((name, a) -> copy.put(name, a.toFloatArray()));
        return copy;
    }

    private static float maxAbsDiff(Map<String, float[]> a, Map<String, float[]> b) {
        assertThat(a.keySet()).isEqualTo(b.keySet());
        float max = 0;
        for (String name : a.keySet()) {
            float[] x = a.get(name);
            float[] y = b.get(name);
            for (int i = 0; i < x.length; i++) {
                max = Math.max(max, Math.abs(x[i] - y[i]));
            }
        }
        return max;
    }

    private static String runId() {
        return "it-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String env(String name) {
        String value = System.getenv(name);
        if (value == null) {
            throw new IllegalStateException(name + " is not set: run the integration tests through scripts/test.sh");
        }
        return value;
    }
}
