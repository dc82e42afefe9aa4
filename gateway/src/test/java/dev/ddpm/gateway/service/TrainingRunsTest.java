package dev.ddpm.gateway.service;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.CheckpointSaved;
import dev.ddpm.core.events.ModelEvaluated;
import dev.ddpm.core.events.TrainingCancelRequested;
import dev.ddpm.core.events.TrainingCancelled;
import dev.ddpm.core.events.TrainingCompleted;
import dev.ddpm.core.events.TrainingFailed;
import dev.ddpm.core.events.TrainingProgress;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.events.TrainingStarted;
import dev.ddpm.core.lifecycle.Evaluation;
import dev.ddpm.core.lifecycle.QualityGate;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

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

    @Test
    void aCancelledRunHasEndedAndStaysCancelled() {
        runs.requested("r3", "m", "trainer");
        runs.apply(new TrainingStarted("r3", "m", "d", "cpu", 10, 0, 100));
        runs.apply(new TrainingCancelled("r3", 40, "trainer"));
        runs.apply(new TrainingProgress("r3", 41, 100, 0.1, 5, 10));
        runs.apply(new TrainingStarted("r3", "m", "d", "cpu", 10, 40, 100));

        TrainingRuns.Run run = runs.get("r3").orElseThrow();
        assertThat(run.state()).isEqualTo(TrainingRuns.State.CANCELLED);
        assertThat(run.finished()).isTrue();
        assertThat(run.step()).isEqualTo(40);
        assertThat(run.requestedBy()).isEqualTo("trainer");
    }

    @Test
    void aCancellationAfterTheRunCompletedChangesNothing() {
        runs.apply(new TrainingStarted("r4", "m", "d", "cpu", 10, 0, 100));
        runs.apply(new TrainingCompleted("r4", "m", 100, 0.05, "r4/step-100/checkpoint.json", "v1"));
        runs.apply(new TrainingCancelled("r4", 100, "trainer"));
        assertThat(runs.get("r4").orElseThrow().state()).isEqualTo(TrainingRuns.State.COMPLETED);
    }

    @Test
    void theRequesterIsKeptWhateverOrderTheTopicsArriveInAndTheGatesVerdictIsShown() {
        runs.apply(new TrainingStarted("r5", "m", "d", "cpu", 10, 0, 100));
        runs.apply(new TrainingRequested(
                "r5", TrainingRequest.builder().dataset("d").steps(100).build(), "alice"));
        runs.apply(new TrainingCompleted("r5", "m", 100, 0.05, "r5/step-100/checkpoint.json", "v2"));
        runs.apply(new TrainingRequested(
                "r5", TrainingRequest.builder().dataset("d").steps(100).build(), "bob"));
        Evaluation verdict =
                QualityGate.compare("v1", "probe", Map.of("quality_fld", 2.0), Map.of("quality_fld", 1.0), 0.1);
        runs.apply(new ModelEvaluated("r5", "m", "v2", verdict, false, "kept as candidate"));

        TrainingRuns.Run run = runs.get("r5").orElseThrow();
        assertThat(run.state()).as("a redelivered request reopens nothing").isEqualTo(TrainingRuns.State.COMPLETED);
        assertThat(run.requestedBy()).as("the first requester").isEqualTo("alice");
        assertThat(run.evaluated().evaluation().passed()).isFalse();
        assertThat(run.evaluated().outcome()).isEqualTo("kept as candidate");
    }

    @Test
    void aRequestReadFromTheTopicShowsTheRunRequestedWithItsOwnerModelAndDataSet() {
        runs.apply(new TrainingRequested(
                "r6",
                TrainingRequest.builder()
                        .dataset("faces")
                        .modelName("portraits")
                        .steps(100)
                        .build(),
                "alice"));

        TrainingRuns.Run run = runs.get("r6").orElseThrow();
        assertThat(run.state()).isEqualTo(TrainingRuns.State.REQUESTED);
        assertThat(run.requestedBy()).isEqualTo("alice");
        assertThat(run.modelName()).isEqualTo("portraits");
        assertThat(run.dataset()).isEqualTo("faces");
    }

    @Test
    void anEndToldAgainLeavesTheRunAsItWas() {
        runs.apply(new TrainingStarted("r7", "m", "d", "cpu", 10, 0, 100));
        runs.apply(new TrainingCompleted("r7", "m", 100, 0.05, "r7/step-100/checkpoint.json", "v1"));
        TrainingRuns.Run completed = runs.get("r7").orElseThrow();
        runs.apply(new TrainingCompleted("r7", "m", 100, 0.05, "r7/step-100/checkpoint.json", "v1"));
        runs.apply(new TrainingFailed("r7", 100L, "re-sent after a redelivery"));
        runs.apply(new TrainingStarted("r7", "m", "d", "cpu", 10, 0, 100));
        assertThat(runs.get("r7").orElseThrow()).isSameAs(completed);
        assertThat(completed.dataset()).as("from TrainingStarted").isEqualTo("d");

        runs.apply(new TrainingStarted("r8", "m", "d", "cpu", 10, 0, 100));
        runs.apply(new TrainingFailed("r8", 20L, "out of memory"));
        TrainingRuns.Run failed = runs.get("r8").orElseThrow();
        runs.apply(new TrainingFailed("r8", 20L, "out of memory"));
        assertThat(runs.get("r8").orElseThrow()).isSameAs(failed);
    }

    @Test
    void aRunsTimelineIsWhenItsEventsHappenedNotWhenTheyWereRead() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        TrainingRequest boxed = TrainingRequest.builder()
                .dataset("d")
                .steps(10)
                .maxMinutes(30.0)
                .build();
        runs.apply(new TrainingRequested("r9", boxed, "alice"), t0);
        runs.apply(new TrainingStarted("r9", "d", "d", "cpu", 10, 0, 10), t0.plusSeconds(60));
        runs.apply(new TrainingProgress("r9", 5, 10, 0.1, 5, 10), t0.plusSeconds(120));
        runs.apply(new TrainingCompleted("r9", "d", 10, 0.1, "r9/c.json", "v1"), t0.plusSeconds(600));

        TrainingRuns.Timeline timeline = runs.get("r9").orElseThrow().timeline();
        assertThat(timeline.requestedAt()).isEqualTo(t0);
        assertThat(timeline.startedAt()).isEqualTo(t0.plusSeconds(60));
        assertThat(timeline.endedAt()).isEqualTo(t0.plusSeconds(600));
        assertThat(timeline.maxMinutes()).isEqualTo(30.0);
    }

    @Test
    void aCancelAskedOfAQueuedRunIsRecordedAndOneOfAnUnknownRunMakesNoRun() {
        runs.apply(new TrainingRequested(
                "r10", TrainingRequest.builder().dataset("d").steps(10).build(), "alice"));
        runs.apply(new TrainingCancelRequested("r10", "alice"));
        runs.apply(new TrainingCancelRequested("r11", "alice"));

        assertThat(runs.get("r10").orElseThrow().timeline().cancelRequested()).isTrue();
        assertThat(runs.get("r10").orElseThrow().state()).isEqualTo(TrainingRuns.State.REQUESTED);
        assertThat(runs.get("r11")).isEmpty();
    }
}
