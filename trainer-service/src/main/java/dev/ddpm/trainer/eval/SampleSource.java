package dev.ddpm.trainer.eval;

import dev.ddpm.trainer.train.DiffusionNetwork;

/**
 * How an evaluation draws a run's samples: the sampler, its settings, the weights and any guidance
 * are the caller's choice (the CLI's options), the evaluation only asks for so many images.
 */
@FunctionalInterface
public interface SampleSource {

    /** {@code count} images of the network's shape in model space, drawn from {@code seed}'s noise. */
    Drawn draw(DiffusionNetwork network, int count, long seed);

    /**
     * @param images      the samples, channel-major in [-1, 1]
     * @param description how they were drawn, for the report ("unipc 20 steps, ... (20 evaluations)")
     */
    record Drawn(float[][] images, String description) {}
}
