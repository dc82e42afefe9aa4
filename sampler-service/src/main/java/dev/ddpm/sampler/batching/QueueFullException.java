package dev.ddpm.sampler.batching;

import java.time.Duration;

/** The sampler holds all it may: the request is refused now (never an out-of-memory later). */
public final class QueueFullException extends RuntimeException {

    private final Duration retryAfter;

    public QueueFullException(String why, Duration retryAfter) {
        super(why + "; retry after " + retryAfter.toMillis() + " ms");
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
