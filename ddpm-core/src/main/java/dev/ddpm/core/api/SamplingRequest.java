package dev.ddpm.core.api;

import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.diffusion.Thresholding;
import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

import java.time.Duration;

/**
 * One sampling request, validated, with every default decided here: the JSON body of
 * {@code POST /v1/samples} (the gateway's public API and the sampler's operator API take the same
 * document), the gRPC {@code SampleParams} ({@link ProtoMapping#samplingRequest}) and the request an
 * asynchronous job carries ({@code SampleJobRequested}) are this record at their boundary. Ranges that
 * depend on the model (steps up to T) or on the service (the most images per request) are checked
 * where those are known.
 *
 * @param sampler  ddpm, ddim, dpm++, unipc, euler, heun, dpm++sde, euler-ancestral or sa-solver; absent:
 *                 {@link #DEFAULT_SAMPLER}
 * @param steps    solver steps; absent: the sampler's default ({@code Schedulers.steps})
 * @param variance fixed_small (default) or fixed_large, DDPM only
 * @param deadlineSeconds the request must finish within this many seconds of arriving; one that
 *                 cannot is refused at once (504), one that runs past it is cancelled. Absent: none
 * @param order    the multistep samplers only (dpm++, unipc, dpm++sde, sa-solver): 1-3; absent: 2
 * @param spacing  linspace, leading, trailing or karras; absent: karras for euler and heun,
 *                 linspace for the others
 * @param threshold dynamic thresholding's percentile in (0, 1] ({@link Thresholding}), which then
 *                 replaces {@code clipX0}; absent: none
 */
public record SamplingRequest(
        String model,
        @OptionalField String version,
        @OptionalField Integer count,
        @OptionalField SamplerKind sampler,
        @OptionalField Integer steps,
        @OptionalField Double eta,
        @OptionalField Long seed,
        @OptionalField OutputFormat output,
        @OptionalField Boolean clipX0,
        @OptionalField String variance,
        @OptionalField Integer previewEvery,
        @OptionalField Double deadlineSeconds,
        @OptionalField Integer order,
        @OptionalField TimestepSpacing spacing,
        @OptionalField Double threshold) {

    public SamplingRequest {
        Require.safeName(model, "model");
        if (version != null) {
            Require.safeName(version, "version");
        }
        count = count == null ? 1 : Require.atLeast(count, 1, "count");
        sampler = sampler == null ? DEFAULT_SAMPLER : sampler;
        if (steps != null) {
            Require.atLeast(steps, 1, "steps");
        }
        eta = eta == null ? 0.0 : Require.inRange(eta, 0, 1, "eta");
        seed = seed == null ? 0L : Require.atLeast(seed, 0, "seed");
        output = output == null ? OutputFormat.PNG : output;
        clipX0 = clipX0 == null || clipX0;
        try {
            variance = variance == null
                    ? DdpmVariance.FIXED_SMALL.wireName()
                    : DdpmVariance.byName(variance).wireName();
        } catch (IllegalArgumentException e) {
            throw new InvalidPayloadException("field 'variance' " + e.getMessage(), "variance");
        }
        previewEvery = previewEvery == null ? 0 : Require.atLeast(previewEvery, 0, "previewEvery");
        String orderProblem = Schedulers.orderProblem(sampler, order);
        if (orderProblem != null) {
            throw new InvalidPayloadException("field 'order' " + orderProblem, "order");
        }
        if (deadlineSeconds != null && !(deadlineSeconds > 0 && deadlineSeconds <= MAX_DEADLINE_SECONDS)) {
            throw new InvalidPayloadException(
                    "field 'deadlineSeconds' must be in (0, " + MAX_DEADLINE_SECONDS + "], was " + deadlineSeconds,
                    "deadlineSeconds");
        }
        String thresholdProblem = threshold == null ? null : Thresholding.percentileProblem(threshold);
        if (thresholdProblem != null) {
            throw new InvalidPayloadException("field 'threshold' " + thresholdProblem, "threshold");
        }
    }

    /**
     * The sampler of a request that names none: SDE-DPM-Solver++ ("DPM++ 2M SDE") at its 25 steps,
     * the one at <= 25 network evaluations that reaches DDPM-250's share of recognisable digits with
     * and without autoguidance, within 10 % of its FLD autoguided, where every ODE solver levels off
     * 4-5 points short (docs/evaluation.md, "Samplers").
     */
    public static final SamplerKind DEFAULT_SAMPLER = SamplerKind.DPM_SOLVER_PP_SDE;

    /** A day: longer than any request runs. */
    public static final double MAX_DEADLINE_SECONDS = 86_400;

    public DdpmVariance ddpmVariance() {
        return DdpmVariance.byName(variance);
    }

    /** The deadline as a duration after arrival; null: none. */
    public Duration deadline() {
        return deadlineSeconds == null ? null : Duration.ofNanos((long) (deadlineSeconds * 1e9));
    }

    /**
     * This request with the earlier of its own deadline and {@code other} (null: none), as when a
     * gRPC call's deadline is tighter than the one asked for. A deadline already passed becomes the
     * shortest one, so that admission refuses the request as late rather than as malformed.
     */
    public SamplingRequest withDeadlineAtMost(Duration other) {
        if (other == null || (deadlineSeconds != null && deadline().compareTo(other) <= 0)) {
            return this;
        }
        double seconds = Math.max(other.toNanos(), 1) / 1e9;
        return new SamplingRequest(
                model,
                version,
                count,
                sampler,
                steps,
                eta,
                seed,
                output,
                clipX0,
                variance,
                previewEvery,
                Math.min(seconds, MAX_DEADLINE_SECONDS),
                order,
                spacing,
                threshold);
    }

    /** This request with its steps decided (the sampler's default resolved against the model's T). */
    public SamplingRequest withSteps(int resolved) {
        return new SamplingRequest(
                model,
                version,
                count,
                sampler,
                resolved,
                eta,
                seed,
                output,
                clipX0,
                variance,
                previewEvery,
                deadlineSeconds,
                order,
                spacing,
                threshold);
    }

    /**
     * This request with at most {@code maxPerImage} previews of each image: its {@code previewEvery}
     * raised to at least ceil(steps / maxPerImage) (steps decided), so that a client asking for a
     * preview after every step of a long request still gets a valid one, with fewer previews.
     * Without previews, or already within the cap, the request itself.
     */
    public SamplingRequest withPreviewsAtMost(int maxPerImage) {
        if (steps == null) {
            throw new IllegalStateException("the steps must be decided before the previews are capped");
        }
        int interval = previewInterval(previewEvery, steps, maxPerImage);
        if (interval == previewEvery) {
            return this;
        }
        return new SamplingRequest(
                model,
                version,
                count,
                sampler,
                steps,
                eta,
                seed,
                output,
                clipX0,
                variance,
                interval,
                deadlineSeconds,
                order,
                spacing,
                threshold);
    }

    /**
     * The preview interval a request gets: {@code requested} (0: no previews), at least
     * ceil(steps / maxPerImage). Previews come after every interval-th step short of the last, so an
     * image previews at most floor((steps - 1) / interval) <= maxPerImage times.
     */
    public static int previewInterval(int requested, int steps, int maxPerImage) {
        if (maxPerImage < 1) {
            throw new IllegalArgumentException("the most previews per image must be >= 1, was " + maxPerImage);
        }
        if (requested <= 0) {
            return 0;
        }
        return Math.max(requested, (steps + maxPerImage - 1) / maxPerImage);
    }

    /** Network evaluations per image once the steps are decided (Heun calls twice per step). */
    public int evaluationsPerImage() {
        return Schedulers.evaluations(sampler, steps);
    }
}
