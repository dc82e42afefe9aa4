package dev.ddpm.core.model;

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

    public DiffusionConfig {
        Require.between(timesteps, 1, MAX_TIMESTEPS, "timesteps");
        Require.nonNull(schedule, "schedule");
        Require.nonNull(predictionType, "predictionType");
        betaStart = betaStart == null ? 1e-4 : betaStart;
        betaEnd = betaEnd == null ? 0.02 : betaEnd;
        cosineOffset = cosineOffset == null ? 0.008 : cosineOffset;
        maxBeta = maxBeta == null ? 0.999 : maxBeta;
        Require.inRange(betaStart, 0, 1, "betaStart");
        Require.inRange(betaEnd, 0, 1, "betaEnd");
        if (betaStart > betaEnd) {
            throw new dev.ddpm.core.json.InvalidPayloadException(
                    "field 'betaStart' (" + betaStart + ") must not exceed 'betaEnd' (" + betaEnd + ")", "betaStart");
        }
        Require.inRange(cosineOffset, 0, 1, "cosineOffset");
        Require.inRange(maxBeta, 0, 1, "maxBeta");
    }

    /** The paper's setting: T = 1000, linear betas 1e-4 .. 0.02, epsilon prediction. */
    public static DiffusionConfig ho2020() {
        return new DiffusionConfig(1000, BetaSchedule.LINEAR, 1e-4, 0.02, null, null, PredictionType.EPSILON);
    }
}
