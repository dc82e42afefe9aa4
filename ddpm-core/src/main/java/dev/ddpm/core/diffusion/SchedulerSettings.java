package dev.ddpm.core.diffusion;

import java.util.Objects;

/**
 * What a sampler is asked for, by name, with a named default for everything but the sampler itself:
 * the request's half of {@link Schedulers#create} (the model's half is its diffusion settings).
 * {@link #of} starts from the defaults and the {@code with} methods change one setting each, so a
 * call site reads {@code SchedulerSettings.of(SamplerKind.DDIM).withSteps(50).withClipX0(false)}.
 * The order and the spacing are resolved against the sampler here; the steps only once the model's
 * T is known ({@link Schedulers#steps}).
 *
 * @param sampler  which scheduler
 * @param steps    solver steps, at least 1; null: the sampler's default, at most T
 * @param eta      DDIM's stochasticity in [0, 1], which DDIM checks (the others ignore it); default
 *                 {@value #DEFAULT_ETA}
 * @param variance DDPM's variance (the others ignore it); default fixed_small
 * @param clipX0   whether the data predictions are clipped to [-1, 1]; default {@value #DEFAULT_CLIP_X0}
 * @param threshold dynamic thresholding's percentile in (0, 1] ({@link Thresholding}), which replaces
 *                 clipping; null: none
 * @param order    the multistep samplers only (dpm++, unipc, dpm++sde, sa-solver),
 *                 {@link Schedulers#orderProblem}; null: {@value Schedulers#DEFAULT_ORDER} for them, and
 *                 stays null for the others
 * @param spacing  null: {@link Schedulers#defaultSpacing} of the sampler
 */
public record SchedulerSettings(
        SamplerKind sampler,
        Integer steps,
        double eta,
        DdpmVariance variance,
        boolean clipX0,
        Double threshold,
        Integer order,
        TimestepSpacing spacing) {

    public static final double DEFAULT_ETA = 0.0;
    public static final DdpmVariance DEFAULT_VARIANCE = DdpmVariance.FIXED_SMALL;
    /** As a sampling request's default: images are in [-1, 1]. */
    public static final boolean DEFAULT_CLIP_X0 = true;

    public SchedulerSettings {
        Objects.requireNonNull(sampler, "sampler");
        Objects.requireNonNull(variance, "variance");
        if (steps != null && steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1 (null: the sampler's default), was " + steps);
        }
        if (threshold != null && Thresholding.percentileProblem(threshold) != null) {
            throw new IllegalArgumentException("threshold " + Thresholding.percentileProblem(threshold));
        }
        String orderProblem = Schedulers.orderProblem(sampler, order);
        if (orderProblem != null) {
            throw new IllegalArgumentException("order " + orderProblem);
        }
        if (order == null && sampler.multistep()) {
            order = Schedulers.DEFAULT_ORDER;
        }
        spacing = spacing == null ? Schedulers.defaultSpacing(sampler) : spacing;
    }

    /** The sampler with every other setting at its default. */
    public static SchedulerSettings of(SamplerKind sampler) {
        return new SchedulerSettings(sampler, null, DEFAULT_ETA, DEFAULT_VARIANCE, DEFAULT_CLIP_X0, null, null, null);
    }

    /** @param steps null: the sampler's default */
    public SchedulerSettings withSteps(Integer steps) {
        return new SchedulerSettings(sampler, steps, eta, variance, clipX0, threshold, order, spacing);
    }

    public SchedulerSettings withEta(double eta) {
        return new SchedulerSettings(sampler, steps, eta, variance, clipX0, threshold, order, spacing);
    }

    public SchedulerSettings withVariance(DdpmVariance variance) {
        return new SchedulerSettings(sampler, steps, eta, variance, clipX0, threshold, order, spacing);
    }

    public SchedulerSettings withClipX0(boolean clipX0) {
        return new SchedulerSettings(sampler, steps, eta, variance, clipX0, threshold, order, spacing);
    }

    /** @param threshold dynamic thresholding's percentile; null: clipping as {@link #clipX0} says */
    public SchedulerSettings withThreshold(Double threshold) {
        return new SchedulerSettings(sampler, steps, eta, variance, clipX0, threshold, order, spacing);
    }

    /** What the schedulers do to each x_0: dynamic thresholding when asked, else clipping or nothing. */
    public Thresholding thresholding() {
        return Thresholding.of(clipX0, threshold);
    }

    /** @param order null: {@value Schedulers#DEFAULT_ORDER} for the multistep samplers */
    public SchedulerSettings withOrder(Integer order) {
        return new SchedulerSettings(sampler, steps, eta, variance, clipX0, threshold, order, spacing);
    }

    /** @param spacing null: the sampler's default */
    public SchedulerSettings withSpacing(TimestepSpacing spacing) {
        return new SchedulerSettings(sampler, steps, eta, variance, clipX0, threshold, order, spacing);
    }
}
