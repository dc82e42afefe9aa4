package dev.ddpm.sampler.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** When the sampler counts as not live (prefix {@code sampler.liveness}); see docs/configuration.md. */
@ConfigMapping(prefix = "sampler.liveness")
public interface LivenessConfig {

    /**
     * Longest the step batcher may hold requests without completing a turn before liveness is DOWN
     * (and the orchestrator restarts the process). A turn is one network call for at most
     * {@code sampler.max-batch} images plus their scheduler steps: milliseconds to a few seconds on
     * CPU, up to tens of seconds for a first call on a GPU that tunes its kernels. Two minutes is
     * far beyond any healthy turn, yet restarts a wedged sampler within minutes.
     */
    @WithDefault("2m")
    Duration maxTurnGap();
}
