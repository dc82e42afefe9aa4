package dev.ddpm.gateway.service;

import dev.ddpm.core.events.CheckpointSaved;
import dev.ddpm.core.events.TrainingCompleted;
import dev.ddpm.core.events.TrainingFailed;
import dev.ddpm.core.events.TrainingProgress;
import dev.ddpm.core.events.TrainingStarted;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A run's state as the gateway folds it only moves forward, whatever order events arrive in. */
class TrainingRunsTest {

    private final TrainingRuns runs = new TrainingRuns();

    @Test
    void aLateProgressEventDoesNotReopenACompletedRun() {
        runs.apply(new TrainingStarted("r1", "m", "d", "cpu", 10, 0, 100));
        runs.apply(new TrainingProgress("r1", 50, 100, 0.1, 5, 10));
        runs.apply(new TrainingCompleted("r1", "m", 100, 0.05, "r1/step-100/checkpoint.json", "v1"));
        runs.apply(new TrainingProgress("r1", 90, 100, 0.07, 5, 2));
        runs.apply(new CheckpointSaved("r1", 90, "r1/step-90/checkpoint.json", "a".repeat(64)));
        runs.apply(new TrainingStarted("r1", "m", "d", "cpu", 10, 90, 100));

        TrainingRuns.Run run = runs.get("r1").orElseThrow();
        assertThat(run.state()).isEqualTo(TrainingRuns.State.COMPLETED);
        assertThat(run.step()).isEqualTo(100);
        assertThat(run.modelVersion()).isEqualTo("v1");
    }

    @Test
    void aFailedRunStaysFailedUntilItIsStartedAgain() {
        runs.apply(new TrainingStarted("r2", "m", "d", "cpu", 10, 0, 100));
        runs.apply(new TrainingFailed("r2", 20L, "out of memory"));
        runs.apply(new TrainingProgress("r2", 25, 100, 0.1, 5, 10));
        assertThat(runs.get("r2").orElseThrow().state()).isEqualTo(TrainingRuns.State.FAILED);

        runs.apply(new TrainingStarted("r2", "m", "d", "cpu", 10, 20, 100));
        runs.apply(new TrainingProgress("r2", 30, 100, 0.1, 5, 10));
        assertThat(runs.get("r2").orElseThrow().state()).as("requested again").isEqualTo(TrainingRuns.State.RUNNING);
        assertThat(runs.get("r2").orElseThrow().step()).isEqualTo(30);
    }
}
