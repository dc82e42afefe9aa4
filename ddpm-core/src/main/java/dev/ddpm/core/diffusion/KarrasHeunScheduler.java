package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.PredictionType;

/**
 * Heun's second-order method on the probability-flow ODE, Karras et al. 2022, Algorithm 1 with
 * S_churn = 0 (deterministic), as diffusers' {@code HeunDiscreteScheduler}: an Euler step to
 * sigma~_{i+1}, the slope there, and the step redone with the mean of both slopes (eq. 3). N solver
 * timesteps take 2N - 1 network calls: every step but the last to clean data (an Euler step, as
 * the algorithm's line 8 skips the correction at sigma = 0) evaluates the network twice, so
 * {@link #timesteps()} lists t_1, t_2, ... twice.
 */
public final class KarrasHeunScheduler extends OdeSolverScheduler {

    /** x~_i and d_i of the step under way, between its two calls; null before its first. */
    private float[] start;

    private float[] slope;
    private int interval;

    public KarrasHeunScheduler(
            NoiseSchedule schedule, PredictionType predictionType, Thresholding thresholding, TimestepSpacing spacing) {
        super(schedule, predictionType, thresholding, spacing);
    }

    /** The network calls of N solver timesteps. */
    public static int calls(int steps) {
        return 2 * steps - 1;
    }

    @Override
    protected void reset() {
        start = null;
        slope = null;
        interval = 0;
    }

    @Override
    public int[] timesteps() {
        int[] levels = levels();
        int[] order = new int[calls(levels.length)];
        order[0] = levels[0];
        for (int i = 1; i < levels.length; i++) {
            order[2 * i - 1] = levels[i]; // the correction of step i-1
            order[2 * i] = levels[i]; // the first slope of step i
        }
        return order;
    }

    @Override
    public StepResult step(float[] modelOutput, int t, float[] sample, GaussianNoise noise) {
        expect(t);
        float[] x0 = dataPrediction(modelOutput, sample, t);
        float[] next;
        if (start == null) {
            NoiseLevel s = level(interval);
            NoiseLevel target = level(interval + 1);
            next = KarrasEulerScheduler.eulerStep(sample, x0, s, target);
            if (target.clean()) {
                interval++;
            } else {
                // d_i = (x~_i - x0) / sigma~_i, kept for the correction (line 5)
                start = combine(1 / s.alpha(), sample, new double[0]);
                slope = combine(1 / s.karrasSigma(), start, new double[] {-1 / s.karrasSigma()}, x0);
            }
        } else {
            NoiseLevel s = level(interval);
            NoiseLevel target = level(interval + 1);
            // d' = (x~' - x0') / sigma~_{i+1}; x~_{i+1} = x~_i + (sigma~_{i+1} - sigma~_i) (d_i + d') / 2 (lines 6-7)
            double st = target.karrasSigma();
            double dt = st - s.karrasSigma();
            float[] predicted = combine(1 / target.alpha(), sample, new double[0]);
            float[] corrected = new float[sample.length];
            for (int k = 0; k < corrected.length; k++) {
                double secondSlope = (predicted[k] - x0[k]) / st;
                corrected[k] = (float) (target.alpha() * (start[k] + dt * 0.5 * (slope[k] + secondSlope)));
            }
            next = corrected;
            start = null;
            slope = null;
            interval++;
        }
        calls++;
        return new StepResult(next, x0);
    }
}
