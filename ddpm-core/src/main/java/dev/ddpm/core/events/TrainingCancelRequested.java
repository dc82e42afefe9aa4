package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * Someone wants a training run stopped: the trainer running it stops at its next step, keeps its
 * checkpoints, publishes nothing and reports TrainingCancelled; a run not started yet never starts.
 * Travels on the requests' topic with the run's key, after the request itself. Key: run id.
 */
public record TrainingCancelRequested(
        String runId, @OptionalField String requestedBy) implements EventData {

    public TrainingCancelRequested {
        Require.safeName(runId, "runId");
    }

    @Override
    public String partitionKey() {
        return runId;
    }
}
