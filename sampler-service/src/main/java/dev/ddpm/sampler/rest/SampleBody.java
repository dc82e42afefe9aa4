package dev.ddpm.sampler.rest;

import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.events.OutputFormat;
import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;
import dev.ddpm.sampler.batching.SampleSpec;

/**
 * Body of the operators' {@code POST /v1/samples}; absent fields take the defaults below.
 *
 * @param variance "fixed_small" (default) or "fixed_large" (DDPM only)
 */
public record SampleBody(String model, @OptionalField String version, @OptionalField Integer count,
                         @OptionalField SamplerKind sampler, @OptionalField Integer steps, @OptionalField Double eta,
                         @OptionalField Long seed, @OptionalField OutputFormat output, @OptionalField Boolean clipX0,
                         @OptionalField String variance, @OptionalField Integer previewEvery) {

    public SampleBody {
        Require.safeName(model, "model");
        if (version != null) {
            Require.safeName(version, "version");
        }
        if (variance != null && !variance.equals("fixed_small") && !variance.equals("fixed_large")) {
            throw new dev.ddpm.core.json.InvalidPayloadException(
                    "field 'variance' must be fixed_small or fixed_large, was '" + variance + "'", "variance");
        }
    }

    public SampleSpec spec() {
        return new SampleSpec(model, version, count == null ? 1 : count, sampler == null ? SamplerKind.DDIM : sampler,
                steps, eta == null ? 0.0 : eta, seed == null ? 0L : seed, output == null ? OutputFormat.PNG : output,
                clipX0 == null || clipX0, "fixed_large".equals(variance) ? DdpmVariance.FIXED_LARGE : DdpmVariance.FIXED_SMALL,
                previewEvery == null ? 0 : previewEvery);
    }
}
