package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

import java.util.Map;

/**
 * Periodic progress of a run. Key: run id.
 *
 * @param loss            mean training loss over the reporting window
 * @param imagesPerSecond training throughput over the reporting window
 * @param etaSeconds      estimated seconds to the last step
 * @param quality         the quality measured at this step on a labelled data set (metric name to
 *                        value: quality_fld, quality_fld_floor, quality_recognisable, ...); empty
 *                        at the steps where none is measured
 */
public record TrainingProgress(
        String runId,
        long step,
        long totalSteps,
        double loss,
        double imagesPerSecond,
        double etaSeconds,
        @OptionalField Map<String, Double> quality)
        implements EventData {

    public TrainingProgress(
            String runId, long step, long totalSteps, double loss, double imagesPerSecond, double etaSeconds) {
        this(runId, step, totalSteps, loss, imagesPerSecond, etaSeconds, null);
    }

    public TrainingProgress {
        quality = quality == null ? Map.of() : Map.copyOf(quality);
        quality.forEach((name, value) -> Require.finite(value, "quality." + name));
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
