package dev.ddpm.core.diffusion;

/**
 * A reverse-process scheduler in the shape people know from diffusers: the model and the scheduler
 * are separate; {@link #setTimesteps} picks the timesteps to visit, and {@link #step} turns the
 * model's output at (x_t, t) into x at the next timestep plus the predicted x_0.
 *
 * <p>One instance serves one request (it holds that request's timestep sequence); instances are
 * cheap. Steps of different requests, at different timesteps, can share one network call.
 */
public interface Scheduler {

    /** Chooses {@code steps} timesteps of 0..T-1 and returns them in visiting order (descending). */
    int[] setTimesteps(int steps);

    /** The sequence chosen by the last {@link #setTimesteps} call. */
    int[] timesteps();

    /**
     * One reverse step from timestep {@code t} (a member of {@link #timesteps()}).
     *
     * @param modelOutput the network's output at (sample, t): eps or v, per the model's prediction type
     * @param t           the current timestep
     * @param sample      x_t
     * @param noise       the image's noise source; the step draws with key {@code t}
     */
    StepResult step(float[] modelOutput, int t, float[] sample, GaussianNoise noise);
}
