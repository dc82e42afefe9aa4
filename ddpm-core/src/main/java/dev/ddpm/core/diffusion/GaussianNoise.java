package dev.ddpm.core.diffusion;

/** Standard normal noise for one image, drawn per step. */
@FunctionalInterface
public interface GaussianNoise {

    /** {@code length} independent N(0, 1) draws for the given step key. */
    float[] draw(int step, int length);
}
