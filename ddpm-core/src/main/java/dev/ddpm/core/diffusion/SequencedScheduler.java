package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.PredictionType;

/**
 * What DDPM and DDIM share: the forward process they invert, the model's prediction type, optional
 * clipping or thresholding of x_0, and the timestep sequence of the request. Their steps hold no state: each
 * depends only on (x_t, t) and the sequence.
 */
abstract class SequencedScheduler implements Scheduler {

    protected final ForwardProcess forward;
    protected final PredictionType predictionType;
    protected final Thresholding thresholding;
    private final TimestepSpacing spacing;
    protected TimestepSequence sequence;

    SequencedScheduler(
            NoiseSchedule schedule, PredictionType predictionType, Thresholding thresholding, TimestepSpacing spacing) {
        this.forward = new ForwardProcess(schedule);
        this.predictionType = predictionType;
        this.thresholding = thresholding;
        this.spacing = spacing;
        setTimesteps(schedule.timesteps());
    }

    @Override
    public final int[] setTimesteps(int steps) {
        sequence = new TimestepSequence(forward.schedule().timesteps(), spacing.timesteps(forward.schedule(), steps));
        return sequence.timesteps();
    }

    @Override
    public final int[] timesteps() {
        return sequence.timesteps();
    }

    /** The model's x_0 estimate at (x_t, t), clipped or thresholded when asked. */
    protected float[] predictedX0(float[] modelOutput, float[] sample, int t) {
        float[] x0 = forward.predictX0(modelOutput, sample, t, predictionType);
        thresholding.apply(x0);
        return x0;
    }
}
