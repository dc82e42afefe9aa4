package dev.ddpm.sampler.output;

/** One result file: a PNG per image, a grid PNG, or an animated GIF. */
public record EncodedImage(int index, byte[] data, String mediaType) {}
