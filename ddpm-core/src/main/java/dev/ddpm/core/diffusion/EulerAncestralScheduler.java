package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.PredictionType;

/**
 * Euler ancestral, as diffusers' {@code EulerAncestralDiscreteScheduler} (k-diffusion's
 * {@code sample_euler_ancestral} with eta = 1), in Karras et al.'s (2022) variables x~ = x_t /
 * alpha_t and sigma~ = sigma_t / alpha_t. Each step splits the way from sigma~_s to sigma~_t in two:
 * an Euler step of the probability-flow ODE down to sigma_down, below sigma~_t, and fresh noise of
 * standard deviation sigma_up back up to sigma~_t, with sigma_up^2 = sigma~_t^2 (sigma~_s^2 -
 * sigma~_t^2) / sigma~_s^2 and sigma_down^2 = sigma~_t^2 - sigma_up^2: the marginal noise level is
 * the ODE's, the path is DDPM's ancestral one (for a sequence of all T timesteps the step is DDPM's
 * posterior sample to first order). The step to clean data adds no noise and returns x_0.
 */
public final class EulerAncestralScheduler extends OdeSolverScheduler {

    public EulerAncestralScheduler(
            NoiseSchedule schedule, PredictionType predictionType, Thresholding thresholding, TimestepSpacing spacing) {
        super(schedule, predictionType, thresholding, spacing);
    }

    @Override
    public StepResult step(float[] modelOutput, int t, float[] sample, GaussianNoise noise) {
        expect(t);
        float[] x0 = dataPrediction(modelOutput, sample, t);
        NoiseLevel s = level(calls);
        NoiseLevel target = level(calls + 1);
        float[] next = target.clean() ? x0.clone() : ancestralStep(sample, x0, s, target, noise.draw(t, sample.length));
        calls++;
        return new StepResult(next, x0);
    }

    /**
     * One ancestral Euler step from level s to level target (not clean data), in VP variables: x~ = x /
     * alpha_s, d = (x~ - x0) / sigma~_s, x~' = x~ + (sigma_down - sigma~_s) d + sigma_up z, returned as
     * alpha_t x~'.
     */
    static float[] ancestralStep(float[] x, float[] x0, NoiseLevel s, NoiseLevel target, float[] z) {
        double from = s.karrasSigma();
        double to = target.karrasSigma();
        double up = Math.sqrt(to * to * (from * from - to * to) / (from * from)); // sigma_up
        double down = Math.sqrt(to * to - up * up); // sigma_down
        double dt = down - from;
        float[] out = new float[x.length];
        for (int i = 0; i < out.length; i++) {
            double xTilde = x[i] / s.alpha(); // x~ = x_t / alpha_t
            double derivative = (xTilde - x0[i]) / from; // d = (x~ - x0) / sigma~
            out[i] = (float) (target.alpha() * (xTilde + derivative * dt + z[i] * up));
        }
        return out;
    }
}
