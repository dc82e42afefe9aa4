package dev.ddpm.sampler.batching;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;

import java.time.Duration;

/**
 * The sampler is draining before it stops: a new request is refused, and one still held when the
 * drain time is up is stopped. Either may be sent again at once: another replica takes it.
 */
public final class SamplerShuttingDownException extends RuntimeException implements ProblemSource {

    private final Duration retryAfter;

    public SamplerShuttingDownException(String why, Duration retryAfter) {
        super("the sampler is shutting down; " + why);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    /** 503 (gRPC UNAVAILABLE), so that the gateway and clients retry on another replica. */
    @Override
    public Problem problem() {
        return Problem.of(503, "sampler shutting down", getMessage()).withRetryAfter(retryAfter);
    }
}
