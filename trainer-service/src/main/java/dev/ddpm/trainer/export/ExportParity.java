package dev.ddpm.trainer.export;

import dev.ddpm.core.diffusion.Denoiser;
import dev.ddpm.core.diffusion.GaussianNoise;
import dev.ddpm.core.diffusion.SeededNoise;

/**
 * Compares two denoisers on one probe batch: seeded Gaussian images, and timesteps spread over
 * [0, T) so one batch mixes early, middle and late steps (the sampler batches requests that way).
 */
public final class ExportParity {

    /** The tolerance the issue asks of every export; float32 rounding gives about 1e-6 here. */
    public static final double TOLERANCE = 1e-4;

    private ExportParity() {}

    /** Largest |a - b| over the predictions for {@code batch} probe images. */
    public static double maxAbsDifference(
            Denoiser a, Denoiser b, int batch, int imageLength, int timesteps, long seed) {
        float[][] x = new float[batch][];
        int[] t = new int[batch];
        for (int i = 0; i < batch; i++) {
            GaussianNoise noise = SeededNoise.forSample(seed, i);
            x[i] = noise.draw(SeededNoise.INITIAL, imageLength);
            t[i] = batch == 1 ? timesteps - 1 : (int) ((long) i * (timesteps - 1) / (batch - 1));
        }
        float[][] pa = a.predict(x, t);
        float[][] pb = b.predict(x, t);
        double max = 0;
        for (int i = 0; i < batch; i++) {
            for (int j = 0; j < imageLength; j++) {
                max = Math.max(max, Math.abs(pa[i][j] - pb[i][j]));
            }
        }
        return max;
    }
}
