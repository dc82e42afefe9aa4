package dev.ddpm.sampler.batching;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;

/**
 * A request's deadline: it cannot be met (refused before it is queued), or it passed while the
 * request ran (its slots are freed).
 */
public final class DeadlineException extends RuntimeException implements ProblemSource {

    public DeadlineException(String message) {
        super(message);
    }

    @Override
    public Problem problem() {
        return Problem.of(504, "deadline", getMessage());
    }
}
