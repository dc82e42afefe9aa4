package dev.ddpm.core.diffusion;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Locale;

/**
 * Which of the T training timesteps a sampler of N steps visits, always N distinct ones in
 * descending order (the names are diffusers' {@code timestep_spacing} and {@code use_karras_sigmas}).
 * Every sampler ends with a step from the last of them to clean data.
 *
 * <p>Two grids per name, as in diffusers: {@link #timesteps} is the grid of DDPM, DDIM, Euler and
 * Heun (its last timestep is at or near t = 0), {@link #multistepTimesteps} the one of the multistep
 * solvers, which spaces N + 1 points from T - 1 down to clean data and drops the last, so that no
 * network call is spent at t = 0, one step from clean data, and the step before it is not a
 * long high-order extrapolation.
 */
public enum TimestepSpacing {
    /**
     * round(linspace(T-1, 0, N)): the first step starts at pure noise, the last at t = 0; the
     * multistep solvers' grid is round(linspace(T-1, 0, N+1)) without its 0.
     */
    @JsonProperty("linspace")
    LINSPACE,
    /**
     * (N-1-i) floor(T/N): DDIM's original spacing; starts below T-1 when N does not divide T. The
     * multistep solvers' is (N-i) floor(T/(N+1)).
     */
    @JsonProperty("leading")
    LEADING,
    /** round(T - i T/N) - 1: starts at T-1 and keeps the steps near the data T/N apart (Lin et al. 2024). */
    @JsonProperty("trailing")
    TRAILING,
    /**
     * Karras et al. 2022, eq. 5: sigma~_i = (sigma~_max^(1/rho) + i/(N-1) (sigma~_min^(1/rho) -
     * sigma~_max^(1/rho)))^rho with rho = 7, dense near the data. The network knows only integer
     * timesteps, so each sigma~ is mapped to the nearest timestep (in log sigma~) and the solver then
     * uses that timestep's own noise level: the ODE stays exact for the level the network is told.
     */
    @JsonProperty("karras")
    KARRAS;

    static final double KARRAS_RHO = 7.0;

    public static TimestepSpacing parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "spacing must be linspace, leading, trailing or karras, was '" + value + "'");
        }
    }

    /** N distinct timesteps of 0..T-1 in visiting (descending) order. */
    public int[] timesteps(NoiseSchedule schedule, int steps) {
        int total = schedule.timesteps();
        if (steps < 1 || steps > total) {
            throw new IllegalArgumentException("steps must be in 1.." + total + ", was " + steps);
        }
        int[] t = new int[steps];
        for (int i = 0; i < steps; i++) {
            t[i] = switch (this) {
                // One step starts at pure noise (numpy's linspace would give t = 0).
                case LINSPACE -> steps == 1 ? total - 1 : (int) Math.rint(linspace(total - 1, steps, steps - 1 - i));
                case LEADING -> (steps - 1 - i) * (total / steps);
                case TRAILING -> (int) Math.rint(arange(total, -(double) total / steps, i)) - 1;
                case KARRAS -> karras(schedule, steps, i);
            };
        }
        return distinctDescending(t, total);
    }

    private static int karras(NoiseSchedule schedule, int steps, int i) {
        double min = Math.pow(schedule.level(0).karrasSigma(), 1 / KARRAS_RHO);
        double max = Math.pow(schedule.level(schedule.timesteps() - 1).karrasSigma(), 1 / KARRAS_RHO);
        double sigma = Math.pow(steps == 1 ? max : max + (double) i / (steps - 1) * (min - max), KARRAS_RHO);
        return schedule.nearestTimestep(sigma);
    }

    /**
     * The multistep solvers' grid (diffusers' {@code DPMSolverMultistepScheduler} and {@code
     * UniPCMultistepScheduler}, {@code final_sigmas_type = "zero"}): linspace is round(linspace(0, T-1,
     * N+1))[::-1][:-1] (999 ... 50 for N = 20), leading (N - i) floor(T/(N+1)); trailing and karras are
     * {@link #timesteps}'s. Rounding is numpy's, half to even.
     */
    public int[] multistepTimesteps(NoiseSchedule schedule, int steps) {
        int total = schedule.timesteps();
        if (steps < 1 || steps > total) {
            throw new IllegalArgumentException("steps must be in 1.." + total + ", was " + steps);
        }
        if (this == TRAILING || this == KARRAS) {
            return timesteps(schedule, steps);
        }
        int[] t = new int[steps];
        for (int i = 0; i < steps; i++) {
            t[i] = switch (this) {
                case LINSPACE -> (int) Math.rint(linspace(total - 1, steps + 1, steps - i));
                case LEADING -> (steps - i) * (total / (steps + 1));
                default -> throw new AssertionError(this);
            };
        }
        return distinctDescending(t, total);
    }

    /**
     * Point k of numpy's {@code linspace(0, stop, num)}, num >= 2, to the bit: k (stop / (num - 1)), the last
     * exactly stop. The grids round it half to even ({@link Math#rint}), as {@code np.round} does.
     */
    static double linspace(double stop, int num, int k) {
        return k == num - 1 ? stop : k * (stop / (num - 1));
    }

    /**
     * Point k of numpy's {@code arange(start, stop, step)}, to the bit: numpy fills it as start + k delta with
     * delta = (start + step) - start, not step itself, which moves some points across a rounding boundary
     * (trailing's 937.5 at T = 1000, N = 48 is 937.4999999999999 there).
     */
    static double arange(double start, double step, int k) {
        double delta = (start + step) - start;
        return start + k * delta;
    }

    /** Rounding can make neighbours equal: push them apart (up from the data end, then down from T-1). */
    private static int[] distinctDescending(int[] t, int total) {
        int n = t.length;
        t[n - 1] = Math.max(t[n - 1], 0);
        for (int i = n - 2; i >= 0; i--) {
            t[i] = Math.max(t[i], t[i + 1] + 1);
        }
        for (int i = 0; i < n; i++) {
            t[i] = Math.min(t[i], total - 1 - i);
        }
        return t;
    }
}
