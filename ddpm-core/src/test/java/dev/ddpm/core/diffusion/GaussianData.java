package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.PredictionType;

/**
 * Data N(mu, s^2) per coordinate, where both the perfect network and the probability-flow ODE's
 * solution are known in closed form: what the solver tests integrate against.
 */
final class GaussianData {

    static final double[] MU = {0.3, -0.5, 0.1, 0.0};
    static final double[] S = {0.4, 0.2, 0.7, 1.0};

    private GaussianData() {}

    /**
     * What a perfect network of the given type outputs at (x, level): eps or v of E[x_0 | x_t], in
     * double precision, rounded once.
     */
    static float[] output(float[] x, NoiseLevel l, PredictionType type) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double s2 = S[i] * S[i];
            // E[x_0 | x_t] = mu + alpha s^2 / (alpha^2 s^2 + sigma^2) (x_t - alpha mu)
            double x0 = MU[i]
                    + l.alpha()
                            * s2
                            / (l.alpha() * l.alpha() * s2 + l.sigma() * l.sigma())
                            * (x[i] - l.alpha() * MU[i]);
            double eps = (x[i] - l.alpha() * x0) / l.sigma();
            // v = alpha_t eps - sigma_t x_0 (Salimans and Ho 2022)
            out[i] = (float) (type == PredictionType.EPSILON ? eps : l.alpha() * eps - l.sigma() * x0);
        }
        return out;
    }

    /** The probability-flow ODE's exact solution from x at level {@code a} to level {@code b}. */
    static double[] exactFlow(float[] x, NoiseLevel a, NoiseLevel b) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double s2 = S[i] * S[i];
            double z = (x[i] - a.alpha() * MU[i]) / Math.sqrt(a.alpha() * a.alpha() * s2 + a.sigma() * a.sigma());
            out[i] = b.alpha() * MU[i] + Math.sqrt(b.alpha() * b.alpha() * s2 + b.sigma() * b.sigma()) * z;
        }
        return out;
    }
}
