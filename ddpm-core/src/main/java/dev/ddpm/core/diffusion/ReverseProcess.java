package dev.ddpm.core.diffusion;

import java.util.function.Supplier;

/**
 * Runs the whole reverse process for a batch of images that share a scheduler configuration:
 * x_T from the seeded noise, then one network call per timestep for the batch, then each image's
 * scheduler step. Image {@code i} uses noise key (seed, firstIndex + i), so its result does not
 * depend on the batch it was computed in.
 */
public final class ReverseProcess {

    private ReverseProcess() {
    }

    /**
     * @param schedulers one fresh scheduler per call (already given its step count)
     * @param length     C*H*W of one image
     * @return the final x_0 of each image, in model space (about [-1, 1])
     */
    public static float[][] sample(Denoiser denoiser, Supplier<Scheduler> schedulers, int count, int length,
                                   long seed, long firstIndex) {
        Scheduler[] perImage = new Scheduler[count];
        GaussianNoise[] noise = new GaussianNoise[count];
        float[][] x = new float[count][];
        for (int i = 0; i < count; i++) {
            perImage[i] = schedulers.get();
            noise[i] = SeededNoise.forSample(seed, firstIndex + i);
            x[i] = noise[i].draw(SeededNoise.INITIAL, length);
        }
        if (count == 0) {
            return x;
        }
        int[] timesteps = perImage[0].timesteps();
        int[] t = new int[count];
        for (int timestep : timesteps) {
            java.util.Arrays.fill(t, timestep);
            float[][] output = denoiser.predict(x, t);
            for (int i = 0; i < count; i++) {
                x[i] = perImage[i].step(output[i], timestep, x[i], noise[i]).prevSample();
            }
        }
        return x;
    }
}
