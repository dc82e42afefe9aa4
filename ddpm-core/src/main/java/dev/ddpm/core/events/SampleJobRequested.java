package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * An asynchronous sampling job. Key: job id.
 *
 * @param version model version, or the model's current one when absent
 * @param steps   reverse steps (all T for DDPM when absent; required by DDIM)
 * @param eta     DDIM eta in [0, 1] (0 when absent)
 * @param order   DPM-Solver++ and UniPC order 1-3 (the default when absent)
 * @param spacing timestep spacing (the sampler's default when absent)
 */
public record SampleJobRequested(
        String jobId,
        String model,
        @OptionalField String version,
        int count,
        SamplerKind sampler,
        @OptionalField Integer steps,
        @OptionalField Double eta,
        long seed,
        OutputFormat output,
        @OptionalField Integer order,
        @OptionalField dev.ddpm.core.diffusion.TimestepSpacing spacing) implements EventData {

    public SampleJobRequested {
        Require.safeName(jobId, "jobId");
        Require.safeName(model, "model");
        if (version != null) {
            Require.safeName(version, "version");
        }
        Require.atLeast(count, 1, "count");
        Require.nonNull(sampler, "sampler");
        if (steps != null) {
            Require.atLeast(steps, 1, "steps");
        }
        eta = eta == null ? 0.0 : Require.inRange(eta, 0, 1, "eta");
        Require.nonNull(output, "output");
        if (order != null) {
            Require.between(order, 1, 3, "order");
        }
    }

    /** A job with the sampler's default order and spacing. */
    public SampleJobRequested(String jobId, String model, String version, int count, SamplerKind sampler, Integer steps,
                              Double eta, long seed, OutputFormat output) {
        this(jobId, model, version, count, sampler, steps, eta, seed, output, null, null);
    }

    @Override
    public String partitionKey() {
        return jobId;
    }
}
