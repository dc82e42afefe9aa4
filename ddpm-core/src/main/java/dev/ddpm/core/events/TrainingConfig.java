package dev.ddpm.core.events;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.UNetConfig;

/**
 * What to train: the model it publishes, the architecture (a named preset, optionally overridden
 * in full), the diffusion settings and the optimisation settings of Algorithm 1.
 *
 * @param modelName       name the trained model is published under
 * @param preset          architecture preset: tiny, mnist, article, ...
 * @param architecture    full architecture overriding the preset, if given
 * @param diffusion       diffusion settings (T, schedule, prediction type)
 * @param steps           optimiser steps to train for (total, including resumed ones)
 * @param batchSize       images per step
 * @param learningRate    AdamW peak learning rate
 * @param warmupSteps     linear learning-rate warm-up steps
 * @param emaDecay        decay of the exponential moving average of the weights
 * @param seed            seed of every random choice of the run
 * @param checkpointEvery steps between checkpoints
 * @param learningRateDecay none (constant after warm-up) or cosine (a half-cosine down to a tenth of
 *                        the learning rate at the last step)
 * @param snrGamma        0 for Algorithm 1's unweighted loss, or gamma of the Min-SNR loss weighting
 *                        (Hang et al. 2023; 5 in the paper)
 * @param maxMinutes      0 for no limit, or the minutes of training after which the run ends at its
 *                        next step and publishes what it has learned (a time box, held across trainer
 *                        restarts; a cosine decay is fitted to the steps the box allows, so
 *                        {@code steps} is then an upper bound)
 * @param keepCheckpoints how many of the newest checkpoints the run keeps; older ones are deleted,
 *                        except those at {@code checkpointEvery x 2^k} steps (a doubling ladder of
 *                        early checkpoints, at most 24, for autoguidance guides and comparisons)
 * @param horizontalFlip  whether each training image is mirrored left-right with probability 1/2;
 *                        unset: on for colour images, off for one channel (digits and letters must
 *                        not be mirrored), as the reference article trains
 * @param qualityEvery    0 (default) for none, or the steps between quality measurements during the
 *                        run on a labelled data set (FLD against its floor, recognisable share,
 *                        memorisation; TrainingProgress.quality and the manifest's metrics)
 */
public record TrainingConfig(
        String modelName,
        String preset,
        @OptionalField UNetConfig architecture,
        DiffusionConfig diffusion,
        long steps,
        int batchSize,
        double learningRate,
        @OptionalField Integer warmupSteps,
        @OptionalField Double emaDecay,
        long seed,
        @OptionalField Integer checkpointEvery,
        @OptionalField String learningRateDecay,
        @OptionalField Double snrGamma,
        @OptionalField Double maxMinutes,
        @OptionalField Integer keepCheckpoints,
        @OptionalField Boolean horizontalFlip,
        @OptionalField Integer qualityEvery) {

    /** A century: a longer limit is no limit, and its nanoseconds would overflow a clock. */
    public static final double MAX_MINUTES = 100 * 365.25 * 24 * 60;
    /** Upper bounds of what one request may ask (docs/api.md, "Limits"). */
    public static final long MAX_STEPS = 10_000_000;
    public static final int MAX_BATCH_SIZE = 4096;
    /** What a request that leaves them out gets, whichever interface it came through. */
    public static final String DEFAULT_PRESET = "tiny";
    public static final int DEFAULT_BATCH_SIZE = 64;
    public static final double DEFAULT_LEARNING_RATE = 2e-4;
    /** Ho et al.'s EMA decay. */
    public static final double DEFAULT_EMA_DECAY = 0.9999;
    public static final int DEFAULT_CHECKPOINT_EVERY = 1000;
    public static final int DEFAULT_KEPT_CHECKPOINTS = 5;
    public static final int MAX_KEPT_CHECKPOINTS = 1000;

    public TrainingConfig {
        Require.safeName(modelName, "modelName");
        Require.nonBlank(preset, "preset");
        Require.nonNull(diffusion, "diffusion");
        Require.between(steps, 1, MAX_STEPS, "steps");
        Require.between(batchSize, 1, MAX_BATCH_SIZE, "batchSize");
        Require.inRange(learningRate, 1e-12, 1, "learningRate");
        warmupSteps = warmupSteps == null ? 0 : Require.between(warmupSteps, 0, (int) MAX_STEPS, "warmupSteps");
        emaDecay = emaDecay == null ? DEFAULT_EMA_DECAY : Require.inRange(emaDecay, 0, 1, "emaDecay");
        checkpointEvery = checkpointEvery == null ? DEFAULT_CHECKPOINT_EVERY
                : Require.between(checkpointEvery, 1, (int) MAX_STEPS, "checkpointEvery");
        learningRateDecay = learningRateDecay == null ? "none" : learningRateDecay;
        if (!learningRateDecay.equals("none") && !learningRateDecay.equals("cosine")) {
            throw new InvalidPayloadException("field 'learningRateDecay' must be none or cosine, was '"
                    + learningRateDecay + "'", "learningRateDecay");
        }
        snrGamma = snrGamma == null ? 0.0 : Require.inRange(snrGamma, 0, 1e6, "snrGamma");
        maxMinutes = maxMinutes == null ? 0.0 : Require.inRange(maxMinutes, 0, MAX_MINUTES, "maxMinutes");
        keepCheckpoints = keepCheckpoints == null ? DEFAULT_KEPT_CHECKPOINTS
                : Require.between(keepCheckpoints, 1, MAX_KEPT_CHECKPOINTS, "keepCheckpoints");
        qualityEvery = qualityEvery == null ? 0 : Require.between(qualityEvery, 0, (int) MAX_STEPS, "qualityEvery");
    }

    /** Without flip or quality settings: the flip follows the image's channels, no quality measurements. */
    public TrainingConfig(String modelName, String preset, UNetConfig architecture, DiffusionConfig diffusion,
            long steps, int batchSize, double learningRate, Integer warmupSteps, Double emaDecay, long seed,
            Integer checkpointEvery, String learningRateDecay, Double snrGamma, Double maxMinutes,
            Integer keepCheckpoints) {
        this(modelName, preset, architecture, diffusion, steps, batchSize, learningRate, warmupSteps, emaDecay, seed,
                checkpointEvery, learningRateDecay, snrGamma, maxMinutes, keepCheckpoints, null, null);
    }

    /** Whether images are flipped for a model of {@code channels}: as asked, else for colour only. */
    public boolean flips(int channels) {
        return horizontalFlip != null ? horizontalFlip : channels == 3;
    }

    /** A configuration with a constant learning rate after warm-up and the unweighted loss. */
    public TrainingConfig(String modelName, String preset, UNetConfig architecture, DiffusionConfig diffusion,
            long steps, int batchSize, double learningRate, Integer warmupSteps, Double emaDecay, long seed,
            Integer checkpointEvery) {
        this(modelName, preset, architecture, diffusion, steps, batchSize, learningRate, warmupSteps, emaDecay, seed,
                checkpointEvery, null, null, null, null, null, null);
    }

    /** Whether the learning rate decays (half-cosine) over the run's steps. */
    public boolean cosineDecay() {
        return learningRateDecay.equals("cosine");
    }
}
