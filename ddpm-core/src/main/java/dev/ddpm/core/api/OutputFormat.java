package dev.ddpm.core.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How sampled images are returned. */
public enum OutputFormat {
    // Declared in the order of the proto's OutputFormat (1..4), then JSON, which only REST has.
    /** One PNG per image. */
    @JsonProperty("png")
    PNG,
    /** All images tiled into one PNG. */
    @JsonProperty("grid")
    GRID,
    /** Animated GIF of the reverse process. */
    @JsonProperty("gif")
    GIF,
    /** The reverse process as a video: an animated GIF and an MP4 (H.264) of the same frames. */
    @JsonProperty("video")
    VIDEO,
    /** JSON with base64 PNGs. */
    @JsonProperty("json")
    JSON
}
