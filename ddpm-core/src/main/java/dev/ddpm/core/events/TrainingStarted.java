package dev.ddpm.core.events;

import dev.ddpm.core.json.Require;

/** A trainer took the run. Key: run id. */
public record TrainingStarted(
        String runId,
        String modelName,
        String dataset,
        String device,
        long parameterCount,
        long startStep,
        long totalSteps)
        implements EventData {

    public TrainingStarted {
        Require.safeName(runId, "runId");
        Require.safeName(modelName, "modelName");
        Require.safeName(dataset, "dataset");
        Require.nonBlank(device, "device");
        Require.atLeast(parameterCount, 1, "parameterCount");
        Require.atLeast(startStep, 0, "startStep");
        Require.atLeast(totalSteps, startStep, "totalSteps");
    }

    @Override
    public String partitionKey() {
        return runId;
    }
}
