package dev.ddpm.sampler.batching;

import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.events.OutputFormat;
import dev.ddpm.core.events.SamplerKind;

import java.time.Duration;

/**
 * One sampling request, validated: which model, how many images, and how to run the reverse process.
 *
 * @param version      null: the model's current version
 * @param steps        solver steps; null: the sampler's default ({@link Schedulers#steps})
 * @param previewEvery send the predicted x_0 every this many steps; 0: never
 * @param deadline     the request must finish within this long of arriving; null: no deadline
 * @param order        DPM-Solver++ and UniPC order; null: the default
 * @param spacing      timestep spacing; null: the sampler's default
 */
public record SampleSpec(String model, String version, int count, SamplerKind sampler, Integer steps, double eta,
                         long seed, OutputFormat output, boolean clipX0, DdpmVariance variance, int previewEvery,
                         Duration deadline, Integer order, TimestepSpacing spacing) {

    /** The request the REST body describes. */
    public static SampleSpec of(dev.ddpm.core.api.SampleBody body) {
        return new SampleSpec(body.model(), body.version(), body.count(), body.sampler(), body.steps(), body.eta(),
                body.seed(), body.output(), body.clipX0(), body.ddpmVariance(), body.previewEvery(),
                seconds(body.deadlineSeconds()), body.order(), body.spacing());
    }

    /** A deadline in seconds (null or <= 0: none). */
    public static Duration seconds(Double seconds) {
        return seconds == null || !(seconds > 0) ? null : Duration.ofNanos((long) (seconds * 1e9));
    }

    public SampleSpec withSteps(int resolved) {
        return new SampleSpec(model, version, count, sampler, resolved, eta, seed, output, clipX0, variance, previewEvery,
                deadline, order, spacing);
    }

    /** Network evaluations per image once the steps are resolved (Heun calls twice per step). */
    public int evaluationsPerImage() {
        return Schedulers.evaluations(sampler, steps);
    }

    /** The earlier of this deadline and {@code other} (null: none). */
    public SampleSpec withDeadlineAtMost(Duration other) {
        if (other == null || (deadline != null && deadline.compareTo(other) <= 0)) {
            return this;
        }
        return new SampleSpec(model, version, count, sampler, steps, eta, seed, output, clipX0, variance, previewEvery,
                other, order, spacing);
    }
}
