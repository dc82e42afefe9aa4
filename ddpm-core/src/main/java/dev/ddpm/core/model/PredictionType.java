package dev.ddpm.core.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What the network is trained to output from (x_t, t). */
public enum PredictionType {
    /** The noise eps added to x_0 (Ho et al. 2020, Algorithm 1). */
    @JsonProperty("epsilon")
    EPSILON,
    /** v = sqrt(abar_t) eps - sqrt(1 - abar_t) x_0 (Salimans and Ho 2022). */
    @JsonProperty("v")
    V
}
