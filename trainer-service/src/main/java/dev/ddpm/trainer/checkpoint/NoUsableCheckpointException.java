package dev.ddpm.trainer.checkpoint;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;

/** A run has no checkpoint that can be restored: none at all, none at the step asked for, or none intact. */
public final class NoUsableCheckpointException extends IllegalStateException implements ProblemSource {

    public NoUsableCheckpointException(String message) {
        super(message);
    }

    public NoUsableCheckpointException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Problem problem() {
        return Problem.of(404, "no usable checkpoint", getMessage());
    }
}
