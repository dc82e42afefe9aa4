package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.PredictionType;

/**
 * Ancestral sampling, Ho et al. 2020 Algorithm 2, over all T timesteps or a respaced subset
 * (Nichol and Dhariwal 2021, section 4: the betas of a subsequence S follow from abar:
 * beta_{S_i} = 1 - abar_{S_i} / abar_{S_{i-1}}).
 *
 * <p>Each step predicts x_0 from the model output, optionally clips or thresholds it, and samples the
 * posterior q(x_prev | x_t, x_0) (eq. 6-7) with the chosen variance.
 */
public final class DdpmScheduler extends SequencedScheduler {

    private final DdpmVariance variance;

    public DdpmScheduler(
            NoiseSchedule schedule, PredictionType predictionType, DdpmVariance variance, Thresholding thresholding) {
        this(schedule, predictionType, variance, thresholding, TimestepSpacing.LINSPACE);
    }

    public DdpmScheduler(
            NoiseSchedule schedule,
            PredictionType predictionType,
            DdpmVariance variance,
            Thresholding thresholding,
            TimestepSpacing spacing) {
        super(schedule, predictionType, thresholding, spacing);
        this.variance = variance;
    }

    @Override
    public StepResult step(float[] modelOutput, int t, float[] sample, GaussianNoise noise) {
        int prev = sequence.previousOf(t);
        NoiseSchedule.Posterior posterior = forward.schedule().posterior(t, prev);
        float[] x0 = predictedX0(modelOutput, sample, t);
        // Posterior mean mu~_t(x_t, x_0), eq. 7.
        float[] out = new float[sample.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (posterior.coefX0() * x0[i] + posterior.coefXt() * sample[i]);
        }
        if (prev >= 0) { // Algorithm 2: z = 0 at the last step
            double sigma = Math.sqrt(variance == DdpmVariance.FIXED_SMALL ? posterior.variance() : posterior.beta());
            float[] z = noise.draw(t, sample.length);
            for (int i = 0; i < out.length; i++) {
                out[i] += (float) (sigma * z[i]);
            }
        }
        return new StepResult(out, x0);
    }
}
