package dev.ddpm.core.diffusion;

import java.util.Arrays;

/** The timesteps a scheduler visits, and for each the timestep it steps to (-1 after the last). */
final class TimestepSequence {

    private final int[] timesteps;
    private final int[] previousByTimestep;

    TimestepSequence(int totalTimesteps, int[] timesteps) {
        this.timesteps = timesteps.clone();
        this.previousByTimestep = new int[totalTimesteps];
        Arrays.fill(previousByTimestep, Integer.MIN_VALUE);
        for (int i = 0; i < timesteps.length; i++) {
            previousByTimestep[timesteps[i]] = i + 1 < timesteps.length ? timesteps[i + 1] : -1;
        }
    }

    int[] timesteps() {
        return timesteps.clone();
    }

    /** The timestep after {@code t} in visiting order, -1 when {@code t} is the last. */
    int previousOf(int t) {
        int prev = t >= 0 && t < previousByTimestep.length ? previousByTimestep[t] : Integer.MIN_VALUE;
        if (prev == Integer.MIN_VALUE) {
            throw new IllegalArgumentException("timestep " + t + " is not in this scheduler's sequence " + "("
                    + timesteps.length + " steps from " + timesteps[0] + ")");
        }
        return prev;
    }
}
