package dev.ddpm.sampler.registry;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;

import java.time.Duration;

/**
 * A version the request asked for is not loaded and may not be loaded now: the sampler holds its
 * most sessions, or the caller started its most loads this minute. 429 / RESOURCE_EXHAUSTED with a
 * retry hint; the versions served by default go on serving.
 */
public final class ModelLoadRefusedException extends RuntimeException implements ProblemSource {

    private final Duration retryAfter;

    public ModelLoadRefusedException(String why, Duration retryAfter) {
        super(why + "; retry after " + retryAfter.toMillis() + " ms");
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    @Override
    public Problem problem() {
        return Problem.of(429, "model load refused", getMessage()).withRetryAfter(retryAfter);
    }
}
