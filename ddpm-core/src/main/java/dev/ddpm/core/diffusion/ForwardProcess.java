package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.PredictionType;

/**
 * The closed-form forward process, the training targets and loss weights, and the conversions
 * between what a network predicts and x_0: one image (or any flat tensor) at a time as float arrays
 * of equal length, or, for training, as the per-sample coefficients of a batch
 * ({@link #trainingCoefficients}).
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
        return affine(signal(t), x0, noiseScale(t), eps);
    }

    /**
     * What the network is trained to output for (x_t, t): eps (Algorithm 1), or
     * v = sqrt(abar_t) eps - sqrt(1 - abar_t) x_0 (Salimans and Ho 2022).
     */
    public float[] target(float[] x0, float[] eps, int t, PredictionType type) {
        return affine(targetX0(t, type), x0, targetEps(t, type), eps);
    }

    /**
     * The coefficients of one training batch, an entry per sample of timestep {@code timesteps[i]}:
     * everything Algorithm 1 needs is affine in (x_0, eps) with per-sample scalars, so a trainer
     * forms x_t, the target and the weighted loss from these alone, on whatever tensor library it uses.
     *
     * @param snrGamma Min-SNR-gamma's gamma (Hang et al. 2023); 0: the simple, unweighted loss
     */
    public TrainingCoefficients trainingCoefficients(int[] timesteps, PredictionType type, double snrGamma) {
        int n = timesteps.length;
        float[] signal = new float[n];
        float[] noise = new float[n];
        float[] targetX0 = new float[n];
        float[] targetEps = new float[n];
        float[] weight = new float[n];
        for (int i = 0; i < n; i++) {
            int t = timesteps[i];
            signal[i] = (float) signal(t);
            noise[i] = (float) noiseScale(t);
            targetX0[i] = (float) targetX0(t, type);
            targetEps[i] = (float) targetEps(t, type);
            weight[i] = (float) lossWeight(t, type, snrGamma);
        }
        return new TrainingCoefficients(signal, noise, targetX0, targetEps, weight);
    }

    /**
     * Per-sample scalars of a training batch: x_t = signal x_0 + noise eps (eq. 4),
     * target = targetX0 x_0 + targetEps eps, and each sample's weight in the mean squared error.
     */
    public record TrainingCoefficients(
            float[] signal, float[] noise, float[] targetX0, float[] targetEps, float[] lossWeight) {}

    /**
     * The Min-SNR-gamma weight of timestep t's loss (Hang et al. 2023, eq. 8 and table 1), with
     * SNR_t = abar_t / (1 - abar_t): min(SNR_t, gamma) / SNR_t for eps-prediction, and
     * min(SNR_t, gamma) / (SNR_t + 1) for v-prediction, whose target already carries a factor
     * (SNR_t + 1) / SNR_t of the eps loss. 1 when gamma is 0 (the simple loss).
     */
    public double lossWeight(int t, PredictionType type, double snrGamma) {
        if (snrGamma == 0) {
            return 1;
        }
        double abar = schedule.alphaBar(t);
        double snr = abar / (1 - abar);
        return Math.min(snr, snrGamma) / (type == PredictionType.V ? snr + 1 : snr);
    }

    /** sqrt(abar_t): how much of x_0 is left in x_t. */
    private double signal(int t) {
        return Math.sqrt(schedule.alphaBar(t));
    }

    /** sqrt(1 - abar_t): the standard deviation of the noise in x_t. */
    private double noiseScale(int t) {
        return Math.sqrt(1.0 - schedule.alphaBar(t));
    }

    private double targetX0(int t, PredictionType type) {
        return type == PredictionType.V ? -noiseScale(t) : 0;
    }

    private double targetEps(int t, PredictionType type) {
        return type == PredictionType.V ? signal(t) : 1;
    }

    private static float[] affine(double a, float[] x, double b, float[] y) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (a * x[i] + b * y[i]);
        }
        return out;
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
