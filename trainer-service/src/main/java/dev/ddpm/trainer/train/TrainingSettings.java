package dev.ddpm.trainer.train;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.json.Require;
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
        Require.nonNull(architecture, "architecture");
        Require.nonNull(diffusion, "diffusion");
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
        return builder()
                .architecture(architecture)
                .diffusion(c.diffusion())
                .batchSize(c.batchSize())
                .learningRate(c.learningRate().floatValue())
                .warmupSteps(c.warmupSteps())
                .decaySteps(c.cosineDecay() ? c.steps() : 0)
                .emaDecay(c.emaDecay().floatValue())
                .weightDecay(WEIGHT_DECAY)
                .gradientClip(GRADIENT_CLIP)
                .horizontalFlip(c.flips(architecture.imageChannels()))
                .seed(c.seed())
                .snrGamma(c.snrGamma().floatValue())
                .build();
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

    /**
     * Settings by name on an architecture that must be set; what is not set is Ho et al.'s CIFAR-10
     * setting: their diffusion ({@link DiffusionConfig#ho2020()}), batch 128, learning rate 2e-4 after
     * 5000 warm-up steps and constant from there, EMA decay 0.9999, no weight decay
     * ({@link #WEIGHT_DECAY}), the gradient clipped at norm {@link #GRADIENT_CLIP}, Algorithm 1's
     * unweighted loss; no flips (they must not mirror digits) and seed 0. The record's constructor
     * validates.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, to change some of them by name. */
    public Builder toBuilder() {
        return builder()
                .architecture(architecture)
                .diffusion(diffusion)
                .batchSize(batchSize)
                .learningRate(learningRate)
                .warmupSteps(warmupSteps)
                .decaySteps(decaySteps)
                .emaDecay(emaDecay)
                .weightDecay(weightDecay)
                .gradientClip(gradientClip)
                .horizontalFlip(horizontalFlip)
                .seed(seed)
                .snrGamma(snrGamma);
    }

    /** Named fields of {@link TrainingSettings}; see {@link #builder()}. */
    public static final class Builder {

        private UNetConfig architecture;
        private DiffusionConfig diffusion = DiffusionConfig.ho2020();
        private int batchSize = 128;
        private float learningRate = 2e-4f;
        private int warmupSteps = 5000;
        private long decaySteps;
        private float emaDecay = 0.9999f;
        private float weightDecay = WEIGHT_DECAY;
        private float gradientClip = GRADIENT_CLIP;
        private boolean horizontalFlip;
        private long seed;
        private float snrGamma;

        private Builder() {}

        public Builder architecture(UNetConfig architecture) {
            this.architecture = architecture;
            return this;
        }

        public Builder diffusion(DiffusionConfig diffusion) {
            this.diffusion = diffusion;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** The peak learning rate, reached at the end of the warm-up. */
        public Builder learningRate(float learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        public Builder warmupSteps(int warmupSteps) {
            this.warmupSteps = warmupSteps;
            return this;
        }

        /** 0: a constant learning rate after the warm-up; see {@link TrainingSettings}. */
        public Builder decaySteps(long decaySteps) {
            this.decaySteps = decaySteps;
            return this;
        }

        public Builder emaDecay(float emaDecay) {
            this.emaDecay = emaDecay;
            return this;
        }

        public Builder weightDecay(float weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        public Builder gradientClip(float gradientClip) {
            this.gradientClip = gradientClip;
            return this;
        }

        public Builder horizontalFlip(boolean horizontalFlip) {
            this.horizontalFlip = horizontalFlip;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** 0: Algorithm 1's unweighted loss; otherwise Min-SNR-gamma, see {@link TrainingSettings}. */
        public Builder snrGamma(float snrGamma) {
            this.snrGamma = snrGamma;
            return this;
        }

        public TrainingSettings build() {
            return new TrainingSettings(
                    architecture,
                    diffusion,
                    batchSize,
                    learningRate,
                    warmupSteps,
                    decaySteps,
                    emaDecay,
                    weightDecay,
                    gradientClip,
                    horizontalFlip,
                    seed,
                    snrGamma);
        }
    }
}
