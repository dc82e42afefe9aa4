package dev.ddpm.core.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The noise schedule beta_1..beta_T of the forward process. */
public enum BetaSchedule {
    /** Ho et al. 2020: betas linear from beta_start (1e-4) to beta_end (0.02). */
    @JsonProperty("linear")
    LINEAR,
    /** Nichol and Dhariwal 2021: abar_t = cos^2(((t/T + s) / (1 + s)) * pi/2), betas capped at max_beta. */
    @JsonProperty("cosine")
    COSINE
}
