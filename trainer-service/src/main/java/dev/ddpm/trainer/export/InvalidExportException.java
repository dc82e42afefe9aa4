package dev.ddpm.trainer.export;

import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;

/** An exported graph that does not load, does not run, or does not agree with the trained network. */
public final class InvalidExportException extends RuntimeException implements ProblemSource {

    public InvalidExportException(String message) {
        super(message);
    }

    public InvalidExportException(String message, Throwable cause) {
        super(message, cause);
    }

    /** 422: the network cannot be published as it is; 503 when only its announcement failed. */
    @Override
    public Problem problem() {
        return Problem.of(getCause() instanceof MessagingException ? 503 : 422, "export refused", getMessage());
    }
}
