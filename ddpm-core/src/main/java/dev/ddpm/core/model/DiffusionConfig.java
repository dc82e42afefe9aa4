package dev.ddpm.core.model;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * The diffusion settings a model is trained with. The sampler rebuilds its scheduler from these
 * alone (they travel in the manifest), so they must be complete.
 *
 * @param timesteps     T, the number of forward-process steps
 * @param schedule      beta schedule
 * @param betaStart     beta_1 of the linear schedule
 * @param betaEnd       beta_T of the linear schedule
 * @param cosineOffset  s of the cosine schedule (0.008 in the paper)
 * @param maxBeta       cap on each beta of the cosine schedule (0.999 in the paper)
 * @param predictionType what the network predicts
 */
public record DiffusionConfig(
        int timesteps,
        BetaSchedule schedule,
        @OptionalField Double betaStart,
        @OptionalField Double betaEnd,
        @OptionalField Double cosineOffset,
        @OptionalField Double maxBeta,
        PredictionType predictionType) {

    /** T beyond which a schedule is no longer a diffusion model anyone trains (and its tables grow). */
    public static final int MAX_TIMESTEPS = 10_000;
    /** Ho et al.'s T. */
    public static final int DEFAULT_TIMESTEPS = 1000;
    /** Ho et al.'s beta_1 and beta_T of the linear schedule. */
    public static final double DEFAULT_BETA_START = 1e-4;

    public static final double DEFAULT_BETA_END = 0.02;
    /** Nichol and Dhariwal's s and beta cap of the cosine schedule. */
    public static final double DEFAULT_COSINE_OFFSET = 0.008;

    public static final double DEFAULT_MAX_BETA = 0.999;

    public DiffusionConfig {
        Require.between(timesteps, 1, MAX_TIMESTEPS, "timesteps");
        Require.nonNull(schedule, "schedule");
        Require.nonNull(predictionType, "predictionType");
        betaStart = betaStart == null ? DEFAULT_BETA_START : betaStart;
        betaEnd = betaEnd == null ? DEFAULT_BETA_END : betaEnd;
        cosineOffset = cosineOffset == null ? DEFAULT_COSINE_OFFSET : cosineOffset;
        maxBeta = maxBeta == null ? DEFAULT_MAX_BETA : maxBeta;
        Require.inRange(betaStart, 0, 1, "betaStart");
        Require.inRange(betaEnd, 0, 1, "betaEnd");
        if (betaStart > betaEnd) {
            throw new InvalidPayloadException(
                    "field 'betaStart' (" + betaStart + ") must not exceed 'betaEnd' (" + betaEnd + ")", "betaStart");
        }
        Require.inRange(cosineOffset, 0, 1, "cosineOffset");
        Require.inRange(maxBeta, 0, 1, "maxBeta");
    }

    /** The paper's setting: T = 1000, linear betas 1e-4 .. 0.02, epsilon prediction. */
    public static DiffusionConfig ho2020() {
        return builder()
                .timesteps(1000)
                .schedule(BetaSchedule.LINEAR)
                .betaStart(1e-4)
                .betaEnd(0.02)
                .predictionType(PredictionType.EPSILON)
                .build();
    }

    /**
     * Settings by name, e.g. {@code builder().schedule(COSINE).predictionType(V).build()}; what is not
     * set is the papers' default: T = {@value #DEFAULT_TIMESTEPS}, the linear schedule, epsilon
     * prediction, and each schedule's constants as above. The record's constructor validates.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Named settings of a {@link DiffusionConfig}; see {@link #builder()}. */
    public static final class Builder {

        private int timesteps = DEFAULT_TIMESTEPS;
        private BetaSchedule schedule = BetaSchedule.LINEAR;
        private double betaStart = DEFAULT_BETA_START;
        private double betaEnd = DEFAULT_BETA_END;
        private double cosineOffset = DEFAULT_COSINE_OFFSET;
        private double maxBeta = DEFAULT_MAX_BETA;
        private PredictionType predictionType = PredictionType.EPSILON;

        private Builder() {}

        public Builder timesteps(int timesteps) {
            this.timesteps = timesteps;
            return this;
        }

        public Builder schedule(BetaSchedule schedule) {
            this.schedule = schedule;
            return this;
        }

        public Builder betaStart(double betaStart) {
            this.betaStart = betaStart;
            return this;
        }

        public Builder betaEnd(double betaEnd) {
            this.betaEnd = betaEnd;
            return this;
        }

        public Builder cosineOffset(double cosineOffset) {
            this.cosineOffset = cosineOffset;
            return this;
        }

        public Builder maxBeta(double maxBeta) {
            this.maxBeta = maxBeta;
            return this;
        }

        public Builder predictionType(PredictionType predictionType) {
            this.predictionType = predictionType;
            return this;
        }

        public DiffusionConfig build() {
            return new DiffusionConfig(timesteps, schedule, betaStart, betaEnd, cosineOffset, maxBeta, predictionType);
        }
    }
}
