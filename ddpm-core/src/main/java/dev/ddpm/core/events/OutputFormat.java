package dev.ddpm.core.events;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How sampled images are returned. */
public enum OutputFormat {
    /** One PNG per image. */
    @JsonProperty("png") PNG,
    /** All images tiled into one PNG. */
    @JsonProperty("grid") GRID,
    /** Animated GIF of the reverse process. */
    @JsonProperty("gif") GIF,
    /** JSON with base64 PNGs. */
    @JsonProperty("json") JSON
}
