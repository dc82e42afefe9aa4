package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.DiffusionConfig;

/**
 * The forward-process noise schedule and every coefficient derived from it, computed once in double
 * precision.
 *
 * <p>Indices are 0-based like diffusers': index {@code t} is the paper's timestep {@code t + 1}
 * (Ho et al. 2020 number them 1..T). {@code alphaBar(t)} is the paper's abar_{t+1} = prod_{s<=t}
 * (1 - beta_s); before the first step abar is 1 (timestep -1, clean data).
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

    /** abar_t = prod_{s <= t} alpha_s. */
    public double alphaBar(int t) {
        return alphaBars[t];
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
     * The posterior q(x_prev | x_t, x_0) (Ho et al. eq. 6-7) from timestep t back to {@code prev}
     * (-1: before the first step, abar = 1). prev need not be t - 1: over a respaced subsequence the
     * step's beta follows from abar (Nichol and Dhariwal 2021, section 4): beta = 1 - abar_t / abar_prev.
     */
    public Posterior posterior(int t, int prev) {
        double abarT = alphaBar(t);
        double abarPrev = prev < 0 ? 1.0 : alphaBar(prev);
        double betaT = 1.0 - abarT / abarPrev;
        double alphaT = 1.0 - betaT;
        return new Posterior(
                Math.sqrt(abarPrev) * betaT / (1.0 - abarT),
                Math.sqrt(alphaT) * (1.0 - abarPrev) / (1.0 - abarT),
                (1.0 - abarPrev) / (1.0 - abarT) * betaT,
                betaT);
    }

    /**
     * mu~ = coefX0 x_0 + coefXt x_t; variance is beta~ = (1 - abar_prev) / (1 - abar_t) beta, zero at
     * the first step; beta is the step's own beta, the other choice of Ho et al. section 3.2.
     */
    public record Posterior(double coefX0, double coefXt, double variance, double beta) {}
}
