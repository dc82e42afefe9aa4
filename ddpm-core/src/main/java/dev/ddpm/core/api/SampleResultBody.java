package dev.ddpm.core.api;

import java.util.List;

/**
 * The JSON answer of {@code POST /v1/samples} (and the SSE {@code result} event) when it is not one
 * file by itself: every file base64-encoded (Jackson writes a {@code byte[]} as base64).
 *
 * @param version the model version that made the images
 * @param seconds time from arrival to the last image
 */
public record SampleResultBody(String model, String version, double seconds, List<File> images) {

    /** One file of the result: a PNG, a GIF or an MP4. */
    public record File(int index, String mediaType, byte[] data) {}
}
