package dev.ddpm.trainer.train;

import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.UNetConfig;

/**
 * Everything one run's optimisation depends on; with the same settings, data and seed a run is
 * reproducible step for step (also across a checkpoint and resume).
 *
 * @param decaySteps     0: constant learning rate after warm-up; otherwise a half-cosine from the
 *                       learning rate down to a tenth of it, reached at this update and held after
 *                       (short CPU runs end noticeably better with it)
 * @param horizontalFlip flip each training image left-right with probability 1/2 (off for digits)
 * @param gradientClip   maximum global L2 norm of the gradient
 */
public record TrainingSettings(
        UNetConfig architecture,
        DiffusionConfig diffusion,
        int batchSize,
        float learningRate,
        int warmupSteps,
        long decaySteps,
        float emaDecay,
        float weightDecay,
        float gradientClip,
        boolean horizontalFlip,
        long seed) {

    /** Learning rate of update number {@code step} (1-based): linear warm-up, then constant or cosine decay. */
    public float learningRateAt(long step) {
        if (warmupSteps > 0 && step < warmupSteps) {
            return learningRate * step / warmupSteps;
        }
        if (decaySteps <= warmupSteps) {
            return learningRate;
        }
        double progress = Math.min(1.0, (double) (step - warmupSteps) / (decaySteps - warmupSteps));
        double floor = 0.1;
        return (float) (learningRate * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress))));
    }
}
