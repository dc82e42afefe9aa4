package dev.ddpm.core.events;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Reverse-process algorithm. */
public enum SamplerKind {
    /** Ancestral sampling, Ho et al. 2020 Algorithm 2. */
    @JsonProperty("ddpm") DDPM,
    /** Song et al. 2021, any number of steps, eta in [0, 1]. */
    @JsonProperty("ddim") DDIM
}
