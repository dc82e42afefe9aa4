package dev.ddpm.sampler.batching;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;

import java.time.Duration;

/** The sampler holds all it may: the request is refused now (never an out-of-memory later). */
public final class QueueFullException extends RuntimeException implements ProblemSource {

    private final Duration retryAfter;

    public QueueFullException(String why, Duration retryAfter) {
        super(why + "; retry after " + retryAfter.toMillis() + " ms");
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    /** 429 with the time the measured throughput needs to make room. */
    @Override
    public Problem problem() {
        return Problem.of(429, "sampler busy", getMessage()).withRetryAfter(retryAfter);
    }
}
