package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * A run ended because it was cancelled (a terminal state, like completed and failed): its
 * checkpoints stay, nothing was published. Key: run id.
 *
 * @param step        the last step it completed (0 when it never started)
 * @param requestedBy who cancelled it
 */
public record TrainingCancelled(
        String runId, long step, @OptionalField String requestedBy) implements EventData {

    public TrainingCancelled {
        Require.safeName(runId, "runId");
        Require.atLeast(step, 0, "step");
    }

    @Override
    public String partitionKey() {
        return runId;
    }
}
