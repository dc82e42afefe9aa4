package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.PredictionType;

/**
 * DDIM, Song et al. 2021, eq. 12: any subsequence of timesteps, stochasticity eta in [0, 1]
 * (0: deterministic; 1 over all T steps: the DDPM posterior with fixed_small variance).
 *
 * <p>x_prev = sqrt(abar_prev) x0 + sqrt(1 - abar_prev - sigma^2) eps + sigma z, with
 * sigma = eta sqrt((1 - abar_prev) / (1 - abar_t)) sqrt(1 - abar_t / abar_prev) (eq. 16).
 * When x_0 is clipped or thresholded, eps is recomputed from that x_0 so that the step stays the exact
 * posterior for eta = 1.
 */
public final class DdimScheduler extends SequencedScheduler {

    private final double eta;

    public DdimScheduler(NoiseSchedule schedule, PredictionType predictionType, double eta, Thresholding thresholding) {
        this(schedule, predictionType, eta, thresholding, TimestepSpacing.LINSPACE);
    }

    public DdimScheduler(
            NoiseSchedule schedule,
            PredictionType predictionType,
            double eta,
            Thresholding thresholding,
            TimestepSpacing spacing) {
        super(schedule, predictionType, thresholding, spacing);
        if (!(eta >= 0 && eta <= 1)) {
            throw new IllegalArgumentException("eta must be in [0, 1], was " + eta);
        }
        this.eta = eta;
    }

    @Override
    public StepResult step(float[] modelOutput, int t, float[] sample, GaussianNoise noise) {
        NoiseSchedule s = forward.schedule();
        int prev = sequence.previousOf(t);
        double abarT = s.alphaBar(t);
        double abarPrev = prev < 0 ? 1.0 : s.alphaBar(prev);

        float[] x0 = predictedX0(modelOutput, sample, t);
        float[] eps = thresholding.changesPrediction() || predictionType != PredictionType.EPSILON
                ? forward.epsFromX0(x0, sample, t)
                : modelOutput;
        double sigma = eta * Math.sqrt((1.0 - abarPrev) / (1.0 - abarT)) * Math.sqrt(1.0 - abarT / abarPrev);
        double dirCoef = Math.sqrt(Math.max(0.0, 1.0 - abarPrev - sigma * sigma)); // "direction pointing to x_t"
        double x0Coef = Math.sqrt(abarPrev);
        float[] out = new float[sample.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (x0Coef * x0[i] + dirCoef * eps[i]);
        }
        if (sigma > 0 && prev >= 0) {
            float[] z = noise.draw(t, sample.length);
            for (int i = 0; i < out.length; i++) {
                out[i] += (float) (sigma * z[i]);
            }
        }
        return new StepResult(out, x0);
    }
}
