package dev.ddpm.core.diffusion;

/** Variance of the DDPM reverse step (Ho et al. 2020, section 3.2: both gave similar results). */
public enum DdpmVariance {
    /** sigma_t^2 = beta~_t, the posterior variance: optimal for a deterministic x_0. */
    FIXED_SMALL,
    /** sigma_t^2 = beta_t: optimal for x_0 ~ N(0, I). */
    FIXED_LARGE
}
