package dev.ddpm.core.events;

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
        @OptionalField Integer checkpointEvery) {

    public TrainingConfig {
        Require.safeName(modelName, "modelName");
        Require.nonBlank(preset, "preset");
        Require.nonNull(diffusion, "diffusion");
        Require.atLeast(steps, 1, "steps");
        Require.atLeast(batchSize, 1, "batchSize");
        Require.inRange(learningRate, 1e-12, 1, "learningRate");
        warmupSteps = warmupSteps == null ? 0 : Require.atLeast(warmupSteps, 0, "warmupSteps");
        emaDecay = emaDecay == null ? 0.9999 : Require.inRange(emaDecay, 0, 1, "emaDecay");
        checkpointEvery = checkpointEvery == null ? 1000 : Require.atLeast(checkpointEvery, 1, "checkpointEvery");
    }
}
