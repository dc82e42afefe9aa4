package dev.ddpm.sampler.registry;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;

/** No such model (or version) is loaded or loadable. */
public final class UnknownModelException extends RuntimeException implements ProblemSource {

    public UnknownModelException(String message) {
        super(message);
    }

    @Override
    public Problem problem() {
        return Problem.of(404, "unknown model", getMessage());
    }
}
