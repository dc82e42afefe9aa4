package dev.ddpm.core.api;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.LearningRateDecay;
import dev.ddpm.core.model.PredictionType;
import dev.ddpm.core.model.UNetConfig;

/**
 * One training request, validated, with every default decided here: the JSON body of
 * {@code POST /v1/trainings}, the gRPC {@code StartTrainingRequest}
 * ({@link ProtoMapping#trainingRequest}), the CLI's {@code train} and {@code request-training}
 * options, the request a data set change starts ({@code RetrainPolicy}), the payload of
 * {@code TrainingRequested} and the recipe a published model's manifest records. A field left out
 * means the same whichever of these it came through. What depends on the trainer (whether the preset
 * exists, whether the data set holds images of its size) is checked where that is known.
 *
 * <p>Build one by name: {@code TrainingRequest.builder().dataset("digits").steps(2000).build()}.
 *
 * @param dataset           data set name in the datasets bucket
 * @param modelName         name the trained model is published under; absent: the data set's
 * @param preset            architecture preset (tiny, mnist-28, colour-32, ...); absent: {@value #DEFAULT_PRESET}
 * @param architecture      a full architecture overriding the preset, if given
 * @param timesteps         T of the forward process; absent: 1000
 * @param schedule          beta schedule; absent: linear (Ho et al. 2020)
 * @param predictionType    what the network predicts (epsilon or v); absent: epsilon
 * @param steps             optimiser steps to train for (total, including resumed ones)
 * @param batchSize         images per step
 * @param learningRate      AdamW peak learning rate
 * @param warmupSteps       linear learning-rate warm-up steps; fewer than {@code steps}
 * @param emaDecay          decay of the exponential moving average of the weights
 * @param seed              seed of every random choice of the run
 * @param checkpointEvery   steps between checkpoints
 * @param learningRateDecay none (constant after warm-up) or cosine (a half-cosine down to a tenth of
 *                          the learning rate at the last step)
 * @param snrGamma          0 for Algorithm 1's unweighted loss, or gamma of the Min-SNR loss weighting
 *                          (Hang et al. 2023; 5 in the paper)
 * @param maxMinutes        0 for no limit, or the minutes of training after which the run ends at its
 *                          next step and publishes what it has learned (a time box, held across trainer
 *                          restarts; a cosine decay is fitted to the steps the box allows, so
 *                          {@code steps} is then an upper bound)
 * @param keepCheckpoints   how many of the newest checkpoints the run keeps; older ones are deleted,
 *                          except those at {@code checkpointEvery x 2^k} steps (a doubling ladder of
 *                          early checkpoints, at most 24, for autoguidance guides and comparisons)
 * @param horizontalFlip    whether each training image is mirrored left-right with probability 1/2;
 *                          absent: on for colour images, off for one channel (digits and letters must
 *                          not be mirrored), as the reference article trains
 * @param qualityEvery      0 for none, or the steps between quality measurements during the run on a
 *                          labelled data set (FLD against its floor, recognisable share, memorisation)
 * @param resumeFrom        run id whose newest checkpoint to continue from, if any
 * @param resumeFromStep    the step of {@code resumeFrom}'s checkpoint to continue from instead of its
 *                          newest (a retraining fine-tunes the production version's weights, not a later
 *                          checkpoint of the same run); fewer than {@code steps}
 */
public record TrainingRequest(
        String dataset,
        @OptionalField String modelName,
        @OptionalField String preset,
        @OptionalField UNetConfig architecture,
        @OptionalField Integer timesteps,
        @OptionalField BetaSchedule schedule,
        @OptionalField PredictionType predictionType,
        long steps,
        @OptionalField Integer batchSize,
        @OptionalField Double learningRate,
        @OptionalField Integer warmupSteps,
        @OptionalField Double emaDecay,
        @OptionalField Long seed,
        @OptionalField Integer checkpointEvery,
        @OptionalField LearningRateDecay learningRateDecay,
        @OptionalField Double snrGamma,
        @OptionalField Double maxMinutes,
        @OptionalField Integer keepCheckpoints,
        @OptionalField Boolean horizontalFlip,
        @OptionalField Integer qualityEvery,
        @OptionalField String resumeFrom,
        @OptionalField Long resumeFromStep) {

    /** A century: a longer limit is no limit, and its nanoseconds would overflow a clock. */
    public static final double MAX_MINUTES = 100 * 365.25 * 24 * 60;
    /** Upper bounds of what one request may ask (docs/api.md, "Limits"). */
    public static final long MAX_STEPS = 10_000_000;

    public static final int MAX_BATCH_SIZE = 4096;
    public static final int MAX_KEPT_CHECKPOINTS = 1000;
    /** Far beyond any weighting in use (the paper's gamma is 5); a bound keeps the loss finite. */
    public static final double MAX_SNR_GAMMA = 1e6;

    public static final String DEFAULT_PRESET = "tiny";
    public static final int DEFAULT_TIMESTEPS = 1000;
    public static final BetaSchedule DEFAULT_SCHEDULE = BetaSchedule.LINEAR;
    public static final PredictionType DEFAULT_PREDICTION = PredictionType.EPSILON;
    public static final int DEFAULT_BATCH_SIZE = 64;
    public static final double DEFAULT_LEARNING_RATE = 2e-4;
    /** Ho et al.'s EMA decay. */
    public static final double DEFAULT_EMA_DECAY = 0.9999;

    public static final int DEFAULT_CHECKPOINT_EVERY = 1000;
    public static final int DEFAULT_KEPT_CHECKPOINTS = 5;

    public TrainingRequest {
        Require.safeName(dataset, "dataset");
        modelName = modelName == null ? dataset : Require.safeName(modelName, "modelName");
        preset = preset == null ? DEFAULT_PRESET : Require.safeName(preset, "preset");
        timesteps = timesteps == null
                ? DEFAULT_TIMESTEPS
                : Require.between(timesteps, 1, DiffusionConfig.MAX_TIMESTEPS, "timesteps");
        schedule = schedule == null ? DEFAULT_SCHEDULE : schedule;
        predictionType = predictionType == null ? DEFAULT_PREDICTION : predictionType;
        Require.between(steps, 1, MAX_STEPS, "steps");
        batchSize = batchSize == null ? DEFAULT_BATCH_SIZE : Require.between(batchSize, 1, MAX_BATCH_SIZE, "batchSize");
        learningRate =
                learningRate == null ? DEFAULT_LEARNING_RATE : Require.inRange(learningRate, 1e-12, 1, "learningRate");
        warmupSteps = warmupSteps == null ? 0 : Require.between(warmupSteps, 0, (int) MAX_STEPS, "warmupSteps");
        emaDecay = emaDecay == null ? DEFAULT_EMA_DECAY : Require.inRange(emaDecay, 0, 1, "emaDecay");
        seed = seed == null ? 0L : Require.atLeast(seed, 0, "seed");
        checkpointEvery = checkpointEvery == null
                ? DEFAULT_CHECKPOINT_EVERY
                : Require.between(checkpointEvery, 1, (int) MAX_STEPS, "checkpointEvery");
        learningRateDecay = learningRateDecay == null ? LearningRateDecay.NONE : learningRateDecay;
        snrGamma = snrGamma == null ? 0.0 : Require.inRange(snrGamma, 0, MAX_SNR_GAMMA, "snrGamma");
        maxMinutes = maxMinutes == null ? 0.0 : Require.inRange(maxMinutes, 0, MAX_MINUTES, "maxMinutes");
        keepCheckpoints = keepCheckpoints == null
                ? DEFAULT_KEPT_CHECKPOINTS
                : Require.between(keepCheckpoints, 1, MAX_KEPT_CHECKPOINTS, "keepCheckpoints");
        qualityEvery = qualityEvery == null ? 0 : Require.between(qualityEvery, 0, (int) MAX_STEPS, "qualityEvery");
        if (resumeFrom != null) {
            Require.safeName(resumeFrom, "resumeFrom");
        }
        if (resumeFromStep != null) {
            Require.atLeast(resumeFromStep, 0, "resumeFromStep");
            if (resumeFrom == null) {
                throw new InvalidPayloadException(
                        "field 'resumeFromStep' needs 'resumeFrom': the step of which run's checkpoint?",
                        "resumeFromStep");
            }
            if (resumeFromStep >= steps) {
                throw new InvalidPayloadException(
                        "field 'resumeFromStep' (" + resumeFromStep + ") must be fewer than 'steps' (" + steps
                                + "): the run would train nothing",
                        "resumeFromStep");
            }
        }
        // Cross-field rules: a warm-up that never ends never reaches the learning rate asked for, and a
        // cosine decay would start after the run's last step.
        if (warmupSteps > 0 && warmupSteps >= steps) {
            throw new InvalidPayloadException(
                    "field 'warmupSteps' (" + warmupSteps + ") must be fewer than 'steps' (" + steps
                            + "): the learning rate would never reach " + learningRate,
                    "warmupSteps");
        }
    }

    /** The diffusion settings the run trains with (the schedule's other constants at their papers' values). */
    public DiffusionConfig diffusion() {
        return DiffusionConfig.builder()
                .timesteps(timesteps)
                .schedule(schedule)
                .predictionType(predictionType)
                .build();
    }

    /** Whether images are flipped for a model of {@code channels}: as asked, else for colour only. */
    public boolean flips(int channels) {
        return horizontalFlip != null ? horizontalFlip : channels == 3;
    }

    /** Whether the learning rate decays (half-cosine) over the run's steps. */
    public boolean cosineDecay() {
        return learningRateDecay == LearningRateDecay.COSINE;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this request's values, to change some by name. */
    public Builder toBuilder() {
        return new Builder()
                .dataset(dataset)
                .modelName(modelName)
                .preset(preset)
                .architecture(architecture)
                .timesteps(timesteps)
                .schedule(schedule)
                .predictionType(predictionType)
                .steps(steps)
                .batchSize(batchSize)
                .learningRate(learningRate)
                .warmupSteps(warmupSteps)
                .emaDecay(emaDecay)
                .seed(seed)
                .checkpointEvery(checkpointEvery)
                .learningRateDecay(learningRateDecay)
                .snrGamma(snrGamma)
                .maxMinutes(maxMinutes)
                .keepCheckpoints(keepCheckpoints)
                .horizontalFlip(horizontalFlip)
                .qualityEvery(qualityEvery)
                .resumeFrom(resumeFrom)
                .resumeFromStep(resumeFromStep);
    }

    /** Builds a request by name; what is left unset takes the request's default. */
    public static final class Builder {
        private String dataset;
        private String modelName;
        private String preset;
        private UNetConfig architecture;
        private Integer timesteps;
        private BetaSchedule schedule;
        private PredictionType predictionType;
        private long steps;
        private Integer batchSize;
        private Double learningRate;
        private Integer warmupSteps;
        private Double emaDecay;
        private Long seed;
        private Integer checkpointEvery;
        private LearningRateDecay learningRateDecay;
        private Double snrGamma;
        private Double maxMinutes;
        private Integer keepCheckpoints;
        private Boolean horizontalFlip;
        private Integer qualityEvery;
        private String resumeFrom;
        private Long resumeFromStep;

        private Builder() {}

        public Builder dataset(String dataset) {
            this.dataset = dataset;
            return this;
        }

        public Builder modelName(String modelName) {
            this.modelName = modelName;
            return this;
        }

        public Builder preset(String preset) {
            this.preset = preset;
            return this;
        }

        public Builder architecture(UNetConfig architecture) {
            this.architecture = architecture;
            return this;
        }

        public Builder timesteps(Integer timesteps) {
            this.timesteps = timesteps;
            return this;
        }

        public Builder schedule(BetaSchedule schedule) {
            this.schedule = schedule;
            return this;
        }

        public Builder predictionType(PredictionType predictionType) {
            this.predictionType = predictionType;
            return this;
        }

        public Builder steps(long steps) {
            this.steps = steps;
            return this;
        }

        public Builder batchSize(Integer batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder learningRate(Double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        public Builder warmupSteps(Integer warmupSteps) {
            this.warmupSteps = warmupSteps;
            return this;
        }

        public Builder emaDecay(Double emaDecay) {
            this.emaDecay = emaDecay;
            return this;
        }

        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder checkpointEvery(Integer checkpointEvery) {
            this.checkpointEvery = checkpointEvery;
            return this;
        }

        public Builder learningRateDecay(LearningRateDecay learningRateDecay) {
            this.learningRateDecay = learningRateDecay;
            return this;
        }

        public Builder snrGamma(Double snrGamma) {
            this.snrGamma = snrGamma;
            return this;
        }

        public Builder maxMinutes(Double maxMinutes) {
            this.maxMinutes = maxMinutes;
            return this;
        }

        public Builder keepCheckpoints(Integer keepCheckpoints) {
            this.keepCheckpoints = keepCheckpoints;
            return this;
        }

        /** null: on for colour images, off for one channel. */
        public Builder horizontalFlip(Boolean horizontalFlip) {
            this.horizontalFlip = horizontalFlip;
            return this;
        }

        public Builder qualityEvery(Integer qualityEvery) {
            this.qualityEvery = qualityEvery;
            return this;
        }

        public Builder resumeFrom(String resumeFrom) {
            this.resumeFrom = resumeFrom;
            return this;
        }

        /** null: {@code resumeFrom}'s newest checkpoint. */
        public Builder resumeFromStep(Long resumeFromStep) {
            this.resumeFromStep = resumeFromStep;
            return this;
        }

        /** @throws InvalidPayloadException naming the first field that breaks a bound or rule */
        public TrainingRequest build() {
            return new TrainingRequest(
                    dataset,
                    modelName,
                    preset,
                    architecture,
                    timesteps,
                    schedule,
                    predictionType,
                    steps,
                    batchSize,
                    learningRate,
                    warmupSteps,
                    emaDecay,
                    seed,
                    checkpointEvery,
                    learningRateDecay,
                    snrGamma,
                    maxMinutes,
                    keepCheckpoints,
                    horizontalFlip,
                    qualityEvery,
                    resumeFrom,
                    resumeFromStep);
        }
    }
}
