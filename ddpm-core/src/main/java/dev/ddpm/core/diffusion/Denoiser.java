package dev.ddpm.core.diffusion;

/**
 * The network seen by the reverse process: a batch of noisy images and their (possibly different)
 * timesteps in, the model's predictions (eps or v) out. The DJL model in the trainer and the ONNX
 * model in the sampler both implement it, so both sample through the same ddpm-core code.
 */
@FunctionalInterface
public interface Denoiser {

    /**
     * @param x images, each flattened C*H*W, all the same length
     * @param t one timestep per image
     */
    float[][] predict(float[][] x, int[] t);
}
