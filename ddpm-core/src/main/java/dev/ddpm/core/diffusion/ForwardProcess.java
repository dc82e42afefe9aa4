package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.PredictionType;

/**
 * The closed-form forward process and the conversions between what a network predicts and x_0.
 * One image (or any flat tensor) at a time, as float arrays of equal length.
 */
public final class ForwardProcess {

    private final NoiseSchedule schedule;

    public ForwardProcess(NoiseSchedule schedule) {
        this.schedule = schedule;
    }

    public NoiseSchedule schedule() {
        return schedule;
    }

    /** q(x_t | x_0) sampled with the given noise (Ho et al. eq. 4): x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps. */
    public float[] noisy(float[] x0, float[] eps, int t) {
        double a = Math.sqrt(schedule.alphaBar(t));
        double s = Math.sqrt(1.0 - schedule.alphaBar(t));
        float[] xt = new float[x0.length];
        for (int i = 0; i < x0.length; i++) {
            xt[i] = (float) (a * x0[i] + s * eps[i]);
        }
        return xt;
    }

    /**
     * What the network is trained to output for (x_t, t): eps (Algorithm 1), or
     * v = sqrt(abar_t) eps - sqrt(1 - abar_t) x_0 (Salimans and Ho 2022).
     */
    public float[] target(float[] x0, float[] eps, int t, PredictionType type) {
        if (type == PredictionType.EPSILON) {
            return eps.clone();
        }
        double a = Math.sqrt(schedule.alphaBar(t));
        double s = Math.sqrt(1.0 - schedule.alphaBar(t));
        float[] v = new float[x0.length];
        for (int i = 0; i < x0.length; i++) {
            v[i] = (float) (a * eps[i] - s * x0[i]);
        }
        return v;
    }

    /**
     * The x_0 implied by a model output at x_t: from eps, x_0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)
     * (inverting eq. 4); from v, x_0 = sqrt(abar_t) x_t - sqrt(1 - abar_t) v.
     */
    public float[] predictX0(float[] modelOutput, float[] xt, int t, PredictionType type) {
        double abar = schedule.alphaBar(t);
        double a = Math.sqrt(abar);
        double s = Math.sqrt(1.0 - abar);
        float[] x0 = new float[xt.length];
        for (int i = 0; i < xt.length; i++) {
            x0[i] = type == PredictionType.EPSILON
                    ? (float) ((xt[i] - s * modelOutput[i]) / a)
                    : (float) (a * xt[i] - s * modelOutput[i]);
        }
        return x0;
    }

    /** The eps consistent with x_t and a (possibly clipped) x_0: eps = (x_t - sqrt(abar_t) x_0) / sqrt(1 - abar_t). */
    public float[] epsFromX0(float[] x0, float[] xt, int t) {
        double abar = schedule.alphaBar(t);
        double a = Math.sqrt(abar);
        double s = Math.sqrt(1.0 - abar);
        float[] eps = new float[xt.length];
        for (int i = 0; i < xt.length; i++) {
            eps[i] = (float) ((xt[i] - a * x0[i]) / s);
        }
        return eps;
    }

    static void clip(float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.max(-1f, Math.min(1f, x[i]));
        }
    }
}
