package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.PredictionType;

/**
 * Euler's method on the probability-flow ODE in Karras et al.'s (2022) variables, as diffusers'
 * {@code EulerDiscreteScheduler} with Karras sigmas: with x~ = x_t / alpha_t and sigma~ =
 * sigma_t / alpha_t the ODE is dx~/dsigma~ = (x~ - x0_theta) / sigma~ (eq. 3 with s = 1), and
 * x~_{i+1} = x~_i + (sigma~_{i+1} - sigma~_i) d_i. This step is DDIM's with eta = 0 (and
 * DPM-Solver++'s first order) written in other variables; what differs by default is the spacing.
 */
public final class KarrasEulerScheduler extends OdeSolverScheduler {

    public KarrasEulerScheduler(
            NoiseSchedule schedule, PredictionType predictionType, Thresholding thresholding, TimestepSpacing spacing) {
        super(schedule, predictionType, thresholding, spacing);
    }

    @Override
    public StepResult step(float[] modelOutput, int t, float[] sample, GaussianNoise noise) {
        expect(t);
        float[] x0 = dataPrediction(modelOutput, sample, t);
        float[] next = eulerStep(sample, x0, level(calls), level(calls + 1));
        calls++;
        return new StepResult(next, x0);
    }

    /**
     * One Euler step from level s to level target, in VP variables: x~ = x / alpha_s,
     * d = (x~ - x0) / sigma~_s, x~' = x~ + (sigma~_t - sigma~_s) d, returned as alpha_t x~'.
     */
    static float[] eulerStep(float[] x, float[] x0, NoiseLevel s, NoiseLevel target) {
        if (target.clean()) {
            return x0.clone();
        }
        double ratio = target.karrasSigma() / s.karrasSigma();
        return combine(target.alpha() / s.alpha() * ratio, x, new double[] {target.alpha() * (1 - ratio)}, x0);
    }
}
