package dev.ddpm.trainer.eval;

import dev.ddpm.core.diffusion.ForwardProcess;
import dev.ddpm.core.diffusion.NoiseSchedule;
import dev.ddpm.core.diffusion.SeededNoise;

import java.util.SplittableRandom;

/**
 * Images that belong to no class of the data set, for the classifier's reject class (outlier
 * exposure, Hendrycks et al. 2019): without one, a softmax calls even noise a class with
 * confidence, and the recognisable share of a bad model would look as good as the data's. Each is
 * made from a real image so it keeps the data's colours and brightness but loses its form:
 * uniform noise, the image far along the forward process (Ho et al. eq. 4, t in 400..999 of the
 * linear schedule), its pixels shuffled, or a smooth random colour field.
 */
final class OutOfSetImages {

    private static final ForwardProcess FORWARD = new ForwardProcess(NoiseSchedule.linear(1000, 1e-4, 0.02));

    private OutOfSetImages() {}

    static float[] from(float[] image, int channels, int size, SplittableRandom random) {
        return switch (random.nextInt(4)) {
            case 0 -> uniform(image.length, random);
            case 1 ->
                FORWARD.noisy(
                        image,
                        SeededNoise.forSample(random.nextLong(), 0).draw(SeededNoise.INITIAL, image.length),
                        400 + random.nextInt(600));
            case 2 -> shuffled(image, channels, size, random);
            default -> smoothField(channels, size, random);
        };
    }

    private static float[] uniform(int length, SplittableRandom random) {
        float[] out = new float[length];
        for (int i = 0; i < length; i++) {
            out[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return out;
    }

    /** The same pixels (all channels of one position move together) at random positions. */
    private static float[] shuffled(float[] image, int channels, int size, SplittableRandom random) {
        int plane = size * size;
        int[] order = new int[plane];
        for (int i = 0; i < plane; i++) {
            order[i] = i;
        }
        for (int i = plane - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        float[] out = new float[image.length];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < plane; i++) {
                out[c * plane + i] = image[c * plane + order[i]];
            }
        }
        return out;
    }

    /** A 4x4 grid of random colours, bilinearly spread over the image. */
    private static float[] smoothField(int channels, int size, SplittableRandom random) {
        float[][] grid = new float[channels][16];
        for (float[] plane : grid) {
            for (int i = 0; i < plane.length; i++) {
                plane[i] = (float) (random.nextDouble() * 2 - 1);
            }
        }
        float[] out = new float[channels * size * size];
        for (int y = 0; y < size; y++) {
            double gy = y * 3.0 / (size - 1);
            int y0 = Math.min(2, (int) gy);
            double fy = gy - y0;
            for (int x = 0; x < size; x++) {
                double gx = x * 3.0 / (size - 1);
                int x0 = Math.min(2, (int) gx);
                double fx = gx - x0;
                for (int c = 0; c < channels; c++) {
                    float[] g = grid[c];
                    double top = g[y0 * 4 + x0] * (1 - fx) + g[y0 * 4 + x0 + 1] * fx;
                    double bottom = g[(y0 + 1) * 4 + x0] * (1 - fx) + g[(y0 + 1) * 4 + x0 + 1] * fx;
                    out[c * size * size + y * size + x] = (float) (top * (1 - fy) + bottom * fy);
                }
            }
        }
        return out;
    }
}
