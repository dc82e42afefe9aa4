package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/** A run stopped with an error. Key: run id. {@code step} is the last completed step, if any. */
public record TrainingFailed(String runId, @OptionalField Long step, String reason) implements EventData {

    public TrainingFailed {
        Require.safeName(runId, "runId");
        if (step != null) {
            Require.atLeast(step, 0, "step");
        }
        Require.nonBlank(reason, "reason");
    }

    @Override
    public String partitionKey() {
        return runId;
    }
}
