package dev.ddpm.core.events;

import dev.ddpm.core.json.Require;

/**
 * Periodic progress of a run. Key: run id.
 *
 * @param loss            mean training loss over the reporting window
 * @param imagesPerSecond training throughput over the reporting window
 * @param etaSeconds      estimated seconds to the last step
 */
public record TrainingProgress(
        String runId,
        long step,
        long totalSteps,
        double loss,
        double imagesPerSecond,
        double etaSeconds) implements EventData {

    public TrainingProgress {
        Require.safeName(runId, "runId");
        Require.atLeast(step, 0, "step");
        Require.atLeast(totalSteps, step, "totalSteps");
        Require.finite(loss, "loss");
        Require.inRange(imagesPerSecond, 0, Double.MAX_VALUE, "imagesPerSecond");
        Require.inRange(etaSeconds, 0, Double.MAX_VALUE, "etaSeconds");
    }

    @Override
    public String partitionKey() {
        return runId;
    }
}
