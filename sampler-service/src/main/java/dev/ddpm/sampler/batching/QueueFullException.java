package dev.ddpm.sampler.batching;

import java.time.Duration;

/** Every queue slot is taken: the request is refused now (never an out-of-memory later). */
public final class QueueFullException extends RuntimeException {

    private final Duration retryAfter;

    public QueueFullException(int capacity, Duration retryAfter) {
        super("the sampler's queue is full (" + capacity + " requests waiting); retry after "
                + retryAfter.toMillis() + " ms");
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
