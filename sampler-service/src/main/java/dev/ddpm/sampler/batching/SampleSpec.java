package dev.ddpm.sampler.batching;

import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.events.OutputFormat;
import dev.ddpm.core.events.SamplerKind;

/**
 * One sampling request, validated: which model, how many images, and how to run the reverse process.
 *
 * @param version      null: the model's current version
 * @param steps        null: all T (DDPM) or 50 (DDIM)
 * @param previewEvery send the predicted x_0 every this many steps; 0: never
 */
public record SampleSpec(String model, String version, int count, SamplerKind sampler, Integer steps, double eta,
                         long seed, OutputFormat output, boolean clipX0, DdpmVariance variance, int previewEvery) {

    /** The request the REST body describes. */
    public static SampleSpec of(dev.ddpm.core.api.SampleBody body) {
        return new SampleSpec(body.model(), body.version(), body.count(), body.sampler(), body.steps(), body.eta(),
                body.seed(), body.output(), body.clipX0(), body.ddpmVariance(), body.previewEvery());
    }
}
