package dev.ddpm.trainer.run;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.trainer.checkpoint.CheckpointRetention;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.train.TrainingSettings;

/**
 * One training run: what to train and how often to report, checkpoint and preview.
 *
 * @param resumeFrom  run whose newest checkpoint to start from (the run itself when restarted)
 * @param exportEvery also publish a model version every this many checkpoints (0: only at the end,
 *                    when the run has a publisher at all)
 * @param keepCheckpoints the newest checkpoints kept beside the doubling ladder ({@link CheckpointRetention})
 * @param qualityEvery    steps between quality measurements on a labelled data set (0: none)
 * @param qualitySamples  samples each measurement generates (fewer when the data set holds out fewer)
 */
public record RunPlan(String runId, String modelName, String dataset, TrainingSettings settings, long totalSteps,
                      int checkpointEvery, int progressEvery, int gridEvery, String resumeFrom, int exportEvery,
                      int keepCheckpoints, int qualityEvery, int qualitySamples) {

    /** Samples of one quality measurement unless configured: enough for a stable ranking, a few seconds on a CPU. */
    public static final int DEFAULT_QUALITY_SAMPLES = 64;

    public RunPlan {
        Require.safeName(runId, "runId");
        Require.safeName(modelName, "modelName");
        Require.atLeast(totalSteps, 1, "totalSteps");
        Require.atLeast(checkpointEvery, 1, "checkpointEvery");
        Require.atLeast(progressEvery, 1, "progressEvery");
        Require.atLeast(gridEvery, 1, "gridEvery");
        Require.atLeast(exportEvery, 0, "exportEvery");
        Require.atLeast(keepCheckpoints, 1, "keepCheckpoints");
        Require.atLeast(qualityEvery, 0, "qualityEvery");
        Require.atLeast(qualitySamples, 2, "qualitySamples");
    }

    /**
     * How often a run reports, previews and publishes: the trainer-service's settings, or the CLI's
     * options.
     *
     * @param exportEvery also publish every this many checkpoints (0: only at the end)
     */
    public record Reporting(int progressEvery, int gridEvery, int exportEvery, int qualitySamples) {
    }

    /**
     * The plan of a requested run: the one place a {@link TrainingRequest} (from Kafka or the CLI)
     * becomes a run, its architecture the requested one or its preset's, resuming from the request's
     * {@code resumeFrom} (null: the run's own newest checkpoint, if any).
     */
    public static RunPlan of(String runId, TrainingRequest c, Reporting reporting) {
        UNetConfig architecture = c.architecture() != null ? c.architecture() : UNetPresets.byName(c.preset());
        return new RunPlan(runId, c.modelName(), c.dataset(), TrainingSettings.of(c, architecture), c.steps(),
                c.checkpointEvery(), reporting.progressEvery(), reporting.gridEvery(), c.resumeFrom(),
                reporting.exportEvery(), c.keepCheckpoints(), c.qualityEvery(), reporting.qualitySamples());
    }

    /** A plan without quality measurements. */
    public RunPlan(String runId, String modelName, String dataset, TrainingSettings settings, long totalSteps,
                   int checkpointEvery, int progressEvery, int gridEvery, String resumeFrom, int exportEvery,
                   int keepCheckpoints) {
        this(runId, modelName, dataset, settings, totalSteps, checkpointEvery, progressEvery, gridEvery, resumeFrom,
                exportEvery, keepCheckpoints, 0, DEFAULT_QUALITY_SAMPLES);
    }
}
