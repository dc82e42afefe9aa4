package dev.ddpm.trainer.eval;

import dev.ddpm.core.diffusion.ForwardProcess;
import dev.ddpm.core.diffusion.NoiseSchedule;
import dev.ddpm.core.diffusion.SeededNoise;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.model.DiffusionConfig;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * The forward process as the reference article shows it: one image x_0 and samples of
 * q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I) (Ho et al. eq. 4) at chosen timesteps, left
 * to right, with one noise draw eps for every t, so the strip shows the signal fading under the
 * same noise. t = 0 is x_0 itself.
 */
public final class ForwardStrip {

    private ForwardStrip() {}

    public static BufferedImage draw(
            float[] x0, int channels, int size, DiffusionConfig diffusion, List<Integer> timesteps, long seed) {
        ForwardProcess forward = new ForwardProcess(NoiseSchedule.from(diffusion));
        float[] eps = SeededNoise.forSample(seed, 0).draw(SeededNoise.INITIAL, x0.length);
        List<float[]> images = new ArrayList<>();
        for (int t : timesteps) {
            if (t < 0 || t >= diffusion.timesteps()) {
                throw new IllegalArgumentException(
                        "timesteps must be in 0.." + (diffusion.timesteps() - 1) + ", was " + t);
            }
            images.add(t == 0 ? x0 : forward.noisy(x0, eps, t));
        }
        return ImageEncoding.grid(images, channels, size, images.size(), 2);
    }
}
