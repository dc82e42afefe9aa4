package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.PredictionType;

/**
 * What the probability-flow ODE solvers share (DPM-Solver++, UniPC, Euler, Heun): the timesteps
 * their spacing picks, the noise level of each (the last step always lands on clean data), the
 * model output turned into the data prediction x_0, and the count of calls taken so far. Unlike
 * DDPM and DDIM they keep state between steps (earlier predictions, a half-finished Heun step), so
 * one instance serves exactly one image, stepped in order: the sampler keeps one per image. As in
 * diffusers, {@link #setTimesteps} comes first.
 */
abstract class OdeSolverScheduler implements Scheduler {

    protected final NoiseSchedule schedule;
    private final ForwardProcess forward;
    private final PredictionType predictionType;
    private final Thresholding thresholding;
    private final TimestepSpacing spacing;
    /** The solver's timesteps t_0 > ... > t_{N-1}; the step after t_{N-1} reaches clean data. */
    protected int[] levels;
    /** Network calls taken since {@link #setTimesteps}. */
    protected int calls;

    OdeSolverScheduler(
            NoiseSchedule schedule, PredictionType predictionType, Thresholding thresholding, TimestepSpacing spacing) {
        this.schedule = schedule;
        this.forward = new ForwardProcess(schedule);
        this.predictionType = predictionType;
        this.thresholding = thresholding;
        this.spacing = spacing;
    }

    @Override
    public final int[] setTimesteps(int steps) {
        levels = multistep() ? spacing.multistepTimesteps(schedule, steps) : spacing.timesteps(schedule, steps);
        calls = 0;
        reset();
        return timesteps();
    }

    /**
     * Whether it runs on the multistep solvers' grid ({@link TimestepSpacing#multistepTimesteps}),
     * as diffusers' multistep schedulers do, rather than on DDIM's.
     */
    protected boolean multistep() {
        return false;
    }

    /** Forgets the state of earlier steps (none by default). */
    protected void reset() {}

    /** One network call per solver timestep (Heun overrides it). */
    @Override
    public int[] timesteps() {
        return levels().clone();
    }

    /** A multistep solver's order, checked by the one rule ({@link Schedulers#orderProblem}). */
    static int checkedOrder(SamplerKind solver, int order) {
        String problem = Schedulers.orderProblem(solver, order);
        if (problem != null) {
            throw new IllegalArgumentException(solver.wireName() + " order " + problem);
        }
        return order;
    }

    /** The solver's timesteps, once {@link #setTimesteps} has chosen them. */
    protected final int[] levels() {
        if (levels == null) {
            throw new IllegalStateException("call setTimesteps before stepping");
        }
        return levels;
    }

    /** The noise level of solver timestep i; i = N is clean data. */
    protected final NoiseLevel level(int i) {
        return i >= levels.length ? NoiseLevel.CLEAN : schedule.level(levels[i]);
    }

    /** Refuses a call out of order: the solver's state belongs to one trajectory. */
    protected final void expect(int t) {
        int[] order = timesteps();
        if (calls >= order.length) {
            throw new IllegalStateException("the scheduler has taken all its " + order.length + " steps");
        }
        if (order[calls] != t) {
            throw new IllegalArgumentException("timestep " + t + " is not this scheduler's next one (" + order[calls]
                    + ", call " + (calls + 1) + " of " + order.length + ")");
        }
    }

    /** The data prediction x_0 at (x_t, t), clipped or thresholded when asked. */
    protected final float[] dataPrediction(float[] modelOutput, float[] sample, int t) {
        float[] x0 = forward.predictX0(modelOutput, sample, t, predictionType);
        thresholding.apply(x0);
        return x0;
    }

    /** a x + sum_k c_k y_k, elementwise, in double precision. */
    static float[] combine(double a, float[] x, double[] c, float[]... y) {
        float[] out = new float[x.length];
        for (int i = 0; i < out.length; i++) {
            double v = a * x[i];
            for (int k = 0; k < y.length; k++) {
                v += c[k] * y[k][i];
            }
            out[i] = (float) v;
        }
        return out;
    }
}
