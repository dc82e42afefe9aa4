package dev.ddpm.core.diffusion;

import java.util.function.Supplier;

/**
 * The reverse process of one request, advanced one timestep at a time by whoever calls the network:
 * {@link ReverseProcess} for a whole batch at once, the sampler's step batcher for requests that
 * share network calls with others. Image {@code i} draws its noise with key (seed, firstIndex + i),
 * so its result depends on nothing but the seed and the settings: not on the batch or its neighbours.
 */
public final class SamplingState {

    private final Scheduler[] schedulers;
    private final GaussianNoise[] noise;
    private final float[][] x;
    private final float[][] predictedX0;
    private final int[] timesteps;
    private int done;

    /**
     * @param schedulers one fresh scheduler per call (already given its step count)
     * @param length     C*H*W of one image
     */
    public SamplingState(Supplier<Scheduler> schedulers, int count, int length, long seed, long firstIndex) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1, was " + count);
        }
        this.schedulers = new Scheduler[count];
        this.noise = new GaussianNoise[count];
        this.x = new float[count][];
        this.predictedX0 = new float[count][];
        for (int i = 0; i < count; i++) {
            this.schedulers[i] = schedulers.get();
            this.noise[i] = SeededNoise.forSample(seed, firstIndex + i);
            // x_T ~ N(0, I) (Algorithm 2, line 1)
            this.x[i] = noise[i].draw(SeededNoise.INITIAL, length);
        }
        this.timesteps = this.schedulers[0].timesteps();
    }

    public int count() {
        return x.length;
    }

    public int totalSteps() {
        return timesteps.length;
    }

    /** Reverse steps taken so far. */
    public int stepsDone() {
        return done;
    }

    public boolean finished() {
        return done == timesteps.length;
    }

    /** The timestep the next network call must be made at. */
    public int currentTimestep() {
        return timesteps[done];
    }

    /** Current x_t of every image (x_0 once finished); the arrays are live, do not change them. */
    public float[][] samples() {
        return x;
    }

    /** The predicted x_0 of every image after the last step (null before the first). */
    public float[][] predictedX0() {
        return predictedX0;
    }

    /** Applies one reverse step to every image, given the network's output for each at {@link #currentTimestep()}. */
    public void step(float[][] modelOutput) {
        int t = currentTimestep();
        for (int i = 0; i < x.length; i++) {
            StepResult result = schedulers[i].step(modelOutput[i], t, x[i], noise[i]);
            x[i] = result.prevSample();
            predictedX0[i] = result.predictedX0();
        }
        done++;
    }
}
