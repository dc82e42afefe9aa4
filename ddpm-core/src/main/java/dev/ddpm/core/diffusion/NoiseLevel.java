package dev.ddpm.core.diffusion;

/**
 * The noise level of one timestep in the notation of the ODE solvers (Lu et al. 2022, DPM-Solver):
 * x_t = alpha_t x_0 + sigma_t eps with alpha_t = sqrt(abar_t), sigma_t = sqrt(1 - abar_t), the
 * half log-SNR lambda_t = log(alpha_t / sigma_t), and Karras et al.'s (2022) sigma~ = sigma_t /
 * alpha_t, the noise level of the rescaled x_t / alpha_t.
 *
 * @param alpha alpha_t
 * @param sigma sigma_t (0 for clean data, where lambda is +infinity)
 */
public record NoiseLevel(double alpha, double sigma) {

    /** Clean data (x_0 itself): where every solver's last step lands ("final sigma zero"). */
    public static final NoiseLevel CLEAN = new NoiseLevel(1.0, 0.0);

    public static NoiseLevel of(double alphaBar) {
        return new NoiseLevel(Math.sqrt(alphaBar), Math.sqrt(1.0 - alphaBar));
    }

    public boolean clean() {
        return sigma == 0.0;
    }

    /** lambda_t = log(alpha_t / sigma_t); +infinity for clean data. */
    public double lambda() {
        return Math.log(alpha) - Math.log(sigma);
    }

    /** Karras et al.'s sigma~ = sigma_t / alpha_t = exp(-lambda_t). */
    public double karrasSigma() {
        return sigma / alpha;
    }
}
