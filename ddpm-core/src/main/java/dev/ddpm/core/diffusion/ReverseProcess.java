package dev.ddpm.core.diffusion;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Runs the whole reverse process for a batch of images that share a scheduler configuration:
 * x_T from the seeded noise, then one network call per timestep for the batch, then each image's
 * scheduler step (see {@link SamplingState}).
 */
public final class ReverseProcess {

    private ReverseProcess() {}

    /**
     * @param schedulers one fresh scheduler per call (already given its step count)
     * @param length     C*H*W of one image
     * @return the final x_0 of each image, in model space (about [-1, 1])
     */
    public static float[][] sample(
            Denoiser denoiser, Supplier<Scheduler> schedulers, int count, int length, long seed, long firstIndex) {
        if (count == 0) {
            return new float[0][];
        }
        SamplingState state = new SamplingState(schedulers, count, length, seed, firstIndex);
        int[] t = new int[count];
        while (!state.finished()) {
            Arrays.fill(t, state.currentTimestep());
            state.step(denoiser.predict(state.samples(), t));
        }
        return state.samples();
    }
}
