package dev.ddpm.trainer.run;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.TrainingCancelled;
import dev.ddpm.core.events.TrainingCompleted;
import dev.ddpm.core.events.TrainingFailed;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

import java.time.Instant;

/**
 * {@code ddpm-checkpoints/{run}/outcome.json}: how a run ended, written before its terminal event is
 * sent, so that a redelivered request repeats the event from here instead of training again.
 *
 * @param state         completed, failed or cancelled
 * @param modelName     the model the run trains
 * @param step          the step it ended at (of its last checkpoint for a cancelled run)
 * @param loss          its smoothed loss at the end, when known
 * @param checkpointKey its final checkpoint's checkpoint.json (completed runs)
 * @param modelVersion  the version published from it (completed runs that publish)
 * @param reason        why it failed
 * @param requestedBy   who asked for this ending: the canceller of a cancelled run, else who requested the run
 * @param at            when it ended
 */
public record OutcomeRecord(
        State state,
        String runId,
        String modelName,
        long step,
        @OptionalField Double loss,
        @OptionalField String checkpointKey,
        @OptionalField String modelVersion,
        @OptionalField String reason,
        @OptionalField String requestedBy,
        Instant at) {

    /** How a run ended. */
    public enum State {
        @JsonProperty("completed")
        COMPLETED,
        @JsonProperty("failed")
        FAILED,
        @JsonProperty("cancelled")
        CANCELLED
    }

    public OutcomeRecord {
        Require.nonNull(state, "state");
        Require.safeName(runId, "runId");
        Require.atLeast(step, 0, "step");
        Require.nonNull(at, "at");
        if (loss != null && !Double.isFinite(loss)) {
            loss = null;
        }
        if (state == State.COMPLETED) {
            Require.nonBlank(modelName, "modelName");
            Require.nonBlank(checkpointKey, "checkpointKey");
        }
        if (state == State.FAILED) {
            Require.nonBlank(reason, "reason");
        }
    }

    /** Where a run's record is kept. */
    public static String key(String runId) {
        return runId + "/outcome.json";
    }

    /** The terminal event this outcome is reported by; sending it again reports the same state. */
    public EventData event() {
        return switch (state) {
            case COMPLETED ->
                new TrainingCompleted(runId, modelName, step, loss == null ? 0.0 : loss, checkpointKey, modelVersion);
            case FAILED -> new TrainingFailed(runId, step, reason);
            case CANCELLED -> new TrainingCancelled(runId, step, requestedBy);
        };
    }
}
