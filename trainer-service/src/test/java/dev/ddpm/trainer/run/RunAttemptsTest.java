package dev.ddpm.trainer.run;

import ai.djl.Device;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.testing.TestStack;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TinyRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** attempts.json in the real S3 server: starts without a newer checkpoint are counted and capped. */
class RunAttemptsTest {

    private static ArtifactStore store;
    private final String run = "attempts-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void open() {
        DjlEngine.configureOffline(1);
        store = new ArtifactStore(TestStack.s3());
        store.ensureBuckets(Buckets.ALL);
    }

    @AfterAll
    static void close() {
        store.close();
    }

    @Test
    void theFourthStartWithoutACheckpointIsRefusedNamingTheCause() {
        RunAttempts attempts = new RunAttempts(store, 3, Clock.systemUTC());

        assertThat(attempts.start(run)).isEmpty();
        assertThat(attempts.start(run)).isEmpty();
        assertThat(attempts.start(run)).isEmpty();
        assertThat(attempts.previous(run).orElseThrow().starts()).isEqualTo(3);

        assertThat(attempts.start(run))
                .contains("started 3 times without reaching a checkpoint; the trainer process ended each time,"
                        + " e.g. killed for memory");
    }

    @Test
    void aNewerCheckpointIsProgressAndCountsFromOneAgain() {
        RunAttempts attempts = new RunAttempts(store, 2, Clock.systemUTC());
        CheckpointStore checkpoints = new CheckpointStore(store);
        try (DiffusionTrainer trainer = new DiffusionTrainer(TinyRun.settings(), Device.cpu())) {
            assertThat(attempts.start(run)).isEmpty();
            trainer.trainStep(TinyRun.DATA);
            checkpoints.save(run, trainer);
            assertThat(attempts.start(run))
                    .as("a checkpoint since the first start")
                    .isEmpty();
            assertThat(attempts.previous(run).orElseThrow())
                    .extracting(RunAttempts.Count::starts, RunAttempts.Count::checkpointStep)
                    .containsExactly(1, 1L);

            assertThat(attempts.start(run)).isEmpty();
            assertThat(attempts.start(run))
                    .hasValueSatisfying(reason ->
                            assertThat(reason).startsWith("started 2 times without reaching a checkpoint past step 1"));
        }
    }

    @Test
    void aStartThatEndsWithinItsProcessIsTakenBack() {
        RunAttempts attempts = new RunAttempts(store, 1, Clock.systemUTC());
        assertThat(attempts.start(run)).isEmpty();

        attempts.release(run);

        assertThat(attempts.previous(run)).isEmpty();
        assertThat(attempts.start(run))
                .as("a paused or interrupted start is not one that killed the trainer")
                .isEmpty();
    }
}
