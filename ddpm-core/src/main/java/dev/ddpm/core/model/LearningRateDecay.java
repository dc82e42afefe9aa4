package dev.ddpm.core.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the learning rate moves after its warm-up. */
public enum LearningRateDecay {
    /** Constant at the peak learning rate (Ho et al. 2020). */
    @JsonProperty("none")
    NONE,
    /** A half-cosine from the peak down to a tenth of it at the run's last step (short runs end better). */
    @JsonProperty("cosine")
    COSINE
}
