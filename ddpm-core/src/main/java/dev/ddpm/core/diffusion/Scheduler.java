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

    /**
     * Evenly spaced timesteps from T-1 down to 0, both included ("trailing" spacing, so the first
     * step starts from pure noise whatever the step count; Lin et al. 2024 show why leading spacing
     * hurts). With steps == T this is every timestep.
     */
    static int[] evenlySpaced(int timesteps, int steps) {
        if (steps < 1 || steps > timesteps) {
            throw new IllegalArgumentException("steps must be in 1.." + timesteps + ", was " + steps);
        }
        int[] sequence = new int[steps];
        for (int i = 0; i < steps; i++) {
            sequence[i] = steps == 1 ? timesteps - 1
                    : (int) Math.round((double) (timesteps - 1) * (steps - 1 - i) / (steps - 1));
        }
        return sequence;
    }
}
