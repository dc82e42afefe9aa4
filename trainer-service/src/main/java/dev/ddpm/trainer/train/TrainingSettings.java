package dev.ddpm.trainer.train;

import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.UNetConfig;

/**
 * Everything one run's optimisation depends on; with the same settings, data and seed a run is
 * reproducible step for step (also across a checkpoint and resume).
 *
 * @param horizontalFlip flip each training image left-right with probability 1/2 (off for digits)
 * @param gradientClip   maximum global L2 norm of the gradient
 */
public record TrainingSettings(
        UNetConfig architecture,
        DiffusionConfig diffusion,
        int batchSize,
        float learningRate,
        int warmupSteps,
        float emaDecay,
        float weightDecay,
        float gradientClip,
        boolean horizontalFlip,
        long seed) {

    /** Learning rate of update number {@code step} (1-based): linear warm-up, then constant. */
    public float learningRateAt(long step) {
        return warmupSteps <= 0 ? learningRate : learningRate * Math.min(1f, (float) step / warmupSteps);
    }
}
