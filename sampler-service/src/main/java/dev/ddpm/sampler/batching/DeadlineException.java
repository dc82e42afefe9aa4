package dev.ddpm.sampler.batching;

/**
 * A request's deadline: it cannot be met (refused before it is queued), or it passed while the
 * request ran (its slots are freed).
 */
public final class DeadlineException extends RuntimeException {

    public DeadlineException(String message) {
        super(message);
    }
}
