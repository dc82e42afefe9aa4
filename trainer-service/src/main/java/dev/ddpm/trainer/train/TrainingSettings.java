package dev.ddpm.trainer.train;

import dev.ddpm.core.api.TrainingRequest;
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
 * @param snrGamma       0: Algorithm 1's simple loss, every timestep weighted alike; otherwise the
 *                       Min-SNR-gamma weighting of Hang et al. 2023 (gamma = 5 in the paper): each
 *                       sample's loss times min(SNR_t, gamma) / SNR_t (epsilon) or / (SNR_t + 1) (v),
 *                       which stops the nearly noise-free timesteps from dominating the gradient
 *                       (the paper measures 3.4x faster convergence)
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
        long seed,
        float snrGamma) {

    public TrainingSettings {
        if (!(snrGamma >= 0)) {
            throw new IllegalArgumentException("the Min-SNR gamma must be 0 (off) or positive, was " + snrGamma);
        }
    }

    /** Ho et al. train without weight decay. */
    public static final float WEIGHT_DECAY = 0f;
    /** Ho et al. clip the gradient's global norm at 1. */
    public static final float GRADIENT_CLIP = 1f;

    /**
     * The settings a training request asks for, on {@code architecture}: the one place a request
     * (from Kafka, REST, gRPC or the CLI) becomes optimisation settings, so they cannot differ by
     * where the run was asked for.
     */
    public static TrainingSettings of(TrainingRequest c, UNetConfig architecture) {
        return new TrainingSettings(architecture, c.diffusion(), c.batchSize(), c.learningRate().floatValue(),
                c.warmupSteps(), c.cosineDecay() ? c.steps() : 0, c.emaDecay().floatValue(), WEIGHT_DECAY,
                GRADIENT_CLIP, c.flips(architecture.imageChannels()), c.seed(), c.snrGamma().floatValue());
    }

    /** Settings with Algorithm 1's unweighted loss. */
    public TrainingSettings(UNetConfig architecture, DiffusionConfig diffusion, int batchSize, float learningRate,
            int warmupSteps, long decaySteps, float emaDecay, float weightDecay, float gradientClip,
            boolean horizontalFlip, long seed) {
        this(architecture, diffusion, batchSize, learningRate, warmupSteps, decaySteps, emaDecay, weightDecay,
                gradientClip, horizontalFlip, seed, 0f);
    }

    /** Learning rate of update number {@code step} (1-based): linear warm-up, then constant or cosine decay. */
    public float learningRateAt(long step) {
        return learningRateAt(step, decaySteps);
    }

    /**
     * As {@link #learningRateAt(long)} with the cosine reaching its floor at update {@code decayEnd}
     * instead of {@link #decaySteps()}: a time-boxed run fits its decay to the steps the machine reaches.
     */
    public float learningRateAt(long step, long decayEnd) {
        if (warmupSteps > 0 && step < warmupSteps) {
            return learningRate * step / warmupSteps;
        }
        if (decaySteps <= warmupSteps) {
            return learningRate;
        }
        long end = Math.max(decayEnd, warmupSteps + 1L); // the decay starts where the warm-up ends
        double progress = Math.min(1.0, (double) (step - warmupSteps) / (end - warmupSteps));
        double floor = 0.1;
        return (float) (learningRate * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress))));
    }
}
