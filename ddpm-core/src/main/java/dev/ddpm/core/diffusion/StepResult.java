package dev.ddpm.core.diffusion;

/**
 * One reverse step's output, like diffusers' scheduler output.
 *
 * @param prevSample  x_{t-1} (x at the next timestep of the scheduler's sequence)
 * @param predictedX0 the model's estimate of x_0 at this step (for previews)
 */
public record StepResult(float[] prevSample, float[] predictedX0) {}
