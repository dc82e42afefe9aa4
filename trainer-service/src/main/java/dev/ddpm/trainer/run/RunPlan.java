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
 * @param recipe          the training request the run was planned from (null for a plan built by hand);
 *                        stored beside the run's checkpoints and recorded in every model it publishes
 * @param resumeFromStep  the step of {@code resumeFrom}'s checkpoint to start from (null: its newest)
 * @param owner           the API key id that asked for the run, recorded as the owner of a model it
 *                        publishes first (null: none, e.g. a retraining or the command line)
 */
public record RunPlan(
        String runId,
        String modelName,
        String dataset,
        TrainingSettings settings,
        long totalSteps,
        int checkpointEvery,
        int progressEvery,
        int gridEvery,
        String resumeFrom,
        int exportEvery,
        int keepCheckpoints,
        int qualityEvery,
        int qualitySamples,
        TrainingRequest recipe,
        Long resumeFromStep,
        String owner) {

    /** Samples of one quality measurement unless configured: enough for a stable ranking, a few seconds on a CPU. */
    public static final int DEFAULT_QUALITY_SAMPLES = 64;
    /** What a plan built without them gets: the trainer-service's defaults (docs/configuration.md). */
    public static final int DEFAULT_CHECKPOINT_EVERY = 1000;

    public static final int DEFAULT_PROGRESS_EVERY = 50;
    public static final int DEFAULT_GRID_EVERY = 1000;
    public static final int DEFAULT_KEPT_CHECKPOINTS = 5;

    public RunPlan {
        Require.safeName(runId, "runId");
        Require.safeName(modelName, "modelName");
        Require.nonNull(settings, "settings");
        Require.atLeast(totalSteps, 1, "totalSteps");
        Require.atLeast(checkpointEvery, 1, "checkpointEvery");
        Require.atLeast(progressEvery, 1, "progressEvery");
        Require.atLeast(gridEvery, 1, "gridEvery");
        Require.atLeast(exportEvery, 0, "exportEvery");
        Require.atLeast(keepCheckpoints, 1, "keepCheckpoints");
        Require.atLeast(qualityEvery, 0, "qualityEvery");
        Require.atLeast(qualitySamples, 2, "qualitySamples");
        if (resumeFromStep != null && resumeFrom == null) {
            throw new IllegalArgumentException("resumeFromStep " + resumeFromStep + " needs the run to resume from");
        }
    }

    /**
     * How often a run reports, previews and publishes: the trainer-service's settings, or the CLI's
     * options.
     *
     * @param exportEvery also publish every this many checkpoints (0: only at the end)
     */
    public record Reporting(int progressEvery, int gridEvery, int exportEvery, int qualitySamples) {}

    /**
     * The plan of a requested run: the one place a {@link TrainingRequest} (from Kafka or the CLI)
     * becomes a run, its architecture the requested one or its preset's, resuming from the request's
     * {@code resumeFrom} (null: the run's own newest checkpoint, if any).
     */
    public static RunPlan of(String runId, TrainingRequest c, Reporting reporting) {
        return of(runId, c, null, reporting);
    }

    /** As {@link #of(String, TrainingRequest, Reporting)}, for a run asked for by {@code owner} (an API key id). */
    public static RunPlan of(String runId, TrainingRequest c, String owner, Reporting reporting) {
        UNetConfig architecture = c.architecture() != null ? c.architecture() : UNetPresets.byName(c.preset());
        return builder()
                .runId(runId)
                .modelName(c.modelName())
                .dataset(c.dataset())
                .settings(TrainingSettings.of(c, architecture))
                .totalSteps(c.steps())
                .checkpointEvery(c.checkpointEvery())
                .progressEvery(reporting.progressEvery())
                .gridEvery(reporting.gridEvery())
                .resumeFrom(c.resumeFrom())
                .resumeFromStep(c.resumeFromStep())
                .exportEvery(reporting.exportEvery())
                .keepCheckpoints(c.keepCheckpoints())
                .qualityEvery(c.qualityEvery())
                .qualitySamples(reporting.qualitySamples())
                .recipe(c)
                .owner(owner)
                .build();
    }

    /**
     * A plan by name. The run id, model name, settings and total steps must be set; the rest defaults
     * to a checkpoint every {@value #DEFAULT_CHECKPOINT_EVERY} steps keeping the newest
     * {@value #DEFAULT_KEPT_CHECKPOINTS}, progress every {@value #DEFAULT_PROGRESS_EVERY} and a grid every
     * {@value #DEFAULT_GRID_EVERY} steps, starting from the run's own checkpoint, publishing only at
     * the end, and no quality measurements. The record's constructor validates.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Named fields of a {@link RunPlan}; see {@link #builder()}. */
    public static final class Builder {

        private String runId;
        private String modelName;
        private String dataset;
        private TrainingSettings settings;
        private long totalSteps;
        private int checkpointEvery = DEFAULT_CHECKPOINT_EVERY;
        private int progressEvery = DEFAULT_PROGRESS_EVERY;
        private int gridEvery = DEFAULT_GRID_EVERY;
        private String resumeFrom;
        private TrainingRequest recipe;
        private int exportEvery;
        private int keepCheckpoints = DEFAULT_KEPT_CHECKPOINTS;
        private int qualityEvery;
        private int qualitySamples = DEFAULT_QUALITY_SAMPLES;
        private Long resumeFromStep;
        private String owner;

        private Builder() {}

        public Builder runId(String runId) {
            this.runId = runId;
            return this;
        }

        public Builder modelName(String modelName) {
            this.modelName = modelName;
            return this;
        }

        public Builder dataset(String dataset) {
            this.dataset = dataset;
            return this;
        }

        public Builder settings(TrainingSettings settings) {
            this.settings = settings;
            return this;
        }

        public Builder totalSteps(long totalSteps) {
            this.totalSteps = totalSteps;
            return this;
        }

        public Builder checkpointEvery(int checkpointEvery) {
            this.checkpointEvery = checkpointEvery;
            return this;
        }

        public Builder progressEvery(int progressEvery) {
            this.progressEvery = progressEvery;
            return this;
        }

        public Builder gridEvery(int gridEvery) {
            this.gridEvery = gridEvery;
            return this;
        }

        /** The request the run was planned from, which the published model's manifest records; null: none. */
        public Builder recipe(TrainingRequest recipe) {
            this.recipe = recipe;
            return this;
        }

        /** The run whose newest checkpoint to start from; null (default): the run's own, if any. */
        public Builder resumeFrom(String resumeFrom) {
            this.resumeFrom = resumeFrom;
            return this;
        }

        /** The step of {@code resumeFrom}'s checkpoint to start from; null (default): its newest. */
        public Builder resumeFromStep(Long resumeFromStep) {
            this.resumeFromStep = resumeFromStep;
            return this;
        }

        /** The API key id that asked for the run; null (default): none. */
        public Builder owner(String owner) {
            this.owner = owner;
            return this;
        }

        /** Also publish every this many checkpoints; 0 (default): only at the end. */
        public Builder exportEvery(int exportEvery) {
            this.exportEvery = exportEvery;
            return this;
        }

        public Builder keepCheckpoints(int keepCheckpoints) {
            this.keepCheckpoints = keepCheckpoints;
            return this;
        }

        /** Steps between quality measurements; 0 (default): none. */
        public Builder qualityEvery(int qualityEvery) {
            this.qualityEvery = qualityEvery;
            return this;
        }

        public Builder qualitySamples(int qualitySamples) {
            this.qualitySamples = qualitySamples;
            return this;
        }

        public RunPlan build() {
            return new RunPlan(
                    runId,
                    modelName,
                    dataset,
                    settings,
                    totalSteps,
                    checkpointEvery,
                    progressEvery,
                    gridEvery,
                    resumeFrom,
                    exportEvery,
                    keepCheckpoints,
                    qualityEvery,
                    qualitySamples,
                    recipe,
                    resumeFromStep,
                    owner);
        }
    }
}
