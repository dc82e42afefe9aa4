package dev.ddpm.sampler.batching;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;

/**
 * The network call for a request's images failed: for its images alone (its batch neighbours went
 * on), or for every request alike (the model itself is at fault). The message says which.
 */
public final class NetworkCallException extends RuntimeException implements ProblemSource {

    public NetworkCallException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Problem problem() {
        return Problem.of(500, "network call failed", getMessage());
    }
}
