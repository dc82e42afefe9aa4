package dev.ddpm.sampler.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** How the sampler drains when told to stop (prefix {@code sampler.shutdown}); see docs/configuration.md. */
@ConfigMapping(prefix = "sampler.shutdown")
public interface DrainConfig {

    /**
     * How long, from the stop signal, the requests and jobs held may take to finish; those still
     * running then fail as "shutting down" (jobs stay unacknowledged, for another replica). The pod's
     * terminationGracePeriodSeconds must exceed its preStop pause plus this plus
     * {@code quarkus.shutdown.timeout}.
     */
    @WithDefault("30s")
    Duration drainTimeout();
}
