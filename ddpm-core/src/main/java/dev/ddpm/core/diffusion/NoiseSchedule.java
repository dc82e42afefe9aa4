package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.DiffusionConfig;

/**
 * The forward-process noise schedule and every coefficient derived from it, computed once in double
 * precision.
 *
 * <p>Indices are 0-based like diffusers': index {@code t} is the paper's timestep {@code t + 1}
 * (Ho et al. 2020 number them 1..T). {@code alphaBar(t)} is the paper's abar_{t+1} = prod_{s<=t}
 * (1 - beta_s), and {@code alphaBarPrev(t)} is the value one step earlier, 1 before the first step.
 */
public final class NoiseSchedule {

    private final double[] betas;
    private final double[] alphaBars;

    private NoiseSchedule(double[] betas) {
        this.betas = betas;
        this.alphaBars = new double[betas.length];
        double product = 1.0;
        for (int t = 0; t < betas.length; t++) {
            product *= 1.0 - betas[t];
            alphaBars[t] = product;
        }
    }

    public static NoiseSchedule from(DiffusionConfig config) {
        return switch (config.schedule()) {
            case LINEAR -> linear(config.timesteps(), config.betaStart(), config.betaEnd());
            case COSINE -> cosine(config.timesteps(), config.cosineOffset(), config.maxBeta());
        };
    }

    /** Ho et al. 2020: beta_t linear from betaStart to betaEnd (1e-4 .. 0.02 at T = 1000). */
    public static NoiseSchedule linear(int timesteps, double betaStart, double betaEnd) {
        double[] betas = new double[timesteps];
        for (int t = 0; t < timesteps; t++) {
            betas[t] = timesteps == 1 ? betaStart : betaStart + (betaEnd - betaStart) * t / (timesteps - 1);
        }
        return new NoiseSchedule(betas);
    }

    /**
     * Nichol and Dhariwal 2021, eq. 17: abar(t) = f(t) / f(0), f(t) = cos^2(((t/T + s) / (1 + s)) pi/2),
     * beta_t = 1 - abar(t+1)/abar(t) capped at maxBeta (0.999) to avoid the singularity at t = T.
     */
    public static NoiseSchedule cosine(int timesteps, double offset, double maxBeta) {
        double[] betas = new double[timesteps];
        for (int t = 0; t < timesteps; t++) {
            double from = cosineAlphaBar((double) t / timesteps, offset);
            double to = cosineAlphaBar((double) (t + 1) / timesteps, offset);
            betas[t] = Math.min(1.0 - to / from, maxBeta);
        }
        return new NoiseSchedule(betas);
    }

    private static double cosineAlphaBar(double fraction, double offset) {
        double c = Math.cos((fraction + offset) / (1.0 + offset) * Math.PI / 2.0);
        return c * c;
    }

    /** T. */
    public int timesteps() {
        return betas.length;
    }

    public double beta(int t) {
        return betas[t];
    }

    /** alpha_t = 1 - beta_t. */
    public double alpha(int t) {
        return 1.0 - betas[t];
    }

    /** abar_t = prod_{s <= t} alpha_s. */
    public double alphaBar(int t) {
        return alphaBars[t];
    }

    /** abar_{t-1}, with abar before the first step = 1 (no noise yet). */
    public double alphaBarPrev(int t) {
        return t <= 0 ? 1.0 : alphaBars[t - 1];
    }

    /** The noise level of timestep t for the ODE solvers; t = -1 is clean data. */
    public NoiseLevel level(int t) {
        return t < 0 ? NoiseLevel.CLEAN : NoiseLevel.of(alphaBars[t]);
    }

    /**
     * The timestep whose Karras sigma~ = sqrt((1 - abar_t) / abar_t) is nearest to {@code sigma} in
     * log sigma~, the interpolation diffusers' {@code _sigma_to_t} does, rounded.
     */
    public int nearestTimestep(double sigma) {
        double target = Math.log(sigma);
        int last = betas.length - 1;
        if (target <= Math.log(level(0).karrasSigma())) {
            return 0;
        }
        if (target >= Math.log(level(last).karrasSigma())) {
            return last;
        }
        int lo = 0;
        int hi = last;
        while (hi - lo > 1) { // sigma~ grows with t
            int mid = (lo + hi) >>> 1;
            if (Math.log(level(mid).karrasSigma()) <= target) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double a = Math.log(level(lo).karrasSigma());
        double b = Math.log(level(hi).karrasSigma());
        return (int) Math.round(lo + (target - a) / (b - a));
    }

    /**
     * Variance of the posterior q(x_{t-1} | x_t, x_0) (Ho et al. eq. 7):
     * beta~_t = (1 - abar_{t-1}) / (1 - abar_t) * beta_t. Zero at the first step.
     */
    public double posteriorVariance(int t) {
        return (1.0 - alphaBarPrev(t)) / (1.0 - alphaBar(t)) * betas[t];
    }

    /** Coefficient of x_0 in the posterior mean (eq. 7): sqrt(abar_{t-1}) beta_t / (1 - abar_t). */
    public double posteriorMeanCoefX0(int t) {
        return Math.sqrt(alphaBarPrev(t)) * betas[t] / (1.0 - alphaBar(t));
    }

    /** Coefficient of x_t in the posterior mean (eq. 7): sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t). */
    public double posteriorMeanCoefXt(int t) {
        return Math.sqrt(alpha(t)) * (1.0 - alphaBarPrev(t)) / (1.0 - alphaBar(t));
    }
}
