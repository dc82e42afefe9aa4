package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/** A run reached its last step. Key: run id. {@code modelVersion} is set when it published a model. */
public record TrainingCompleted(
        String runId,
        String modelName,
        long finalStep,
        double finalLoss,
        String checkpointKey,
        @OptionalField String modelVersion)
        implements EventData {

    public TrainingCompleted {
        Require.safeName(runId, "runId");
        Require.safeName(modelName, "modelName");
        Require.atLeast(finalStep, 0, "finalStep");
        Require.finite(finalLoss, "finalLoss");
        Require.nonBlank(checkpointKey, "checkpointKey");
        if (modelVersion != null) {
            Require.safeName(modelVersion, "modelVersion");
        }
    }

    @Override
    public String partitionKey() {
        return runId;
    }
}
