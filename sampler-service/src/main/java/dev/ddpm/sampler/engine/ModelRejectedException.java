package dev.ddpm.sampler.engine;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;

/** A model version that must not serve: wrong sha256, unparsable graph, or shapes that disagree with the manifest. */
public final class ModelRejectedException extends RuntimeException implements ProblemSource {

    public ModelRejectedException(String message) {
        super(message);
    }

    public ModelRejectedException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Problem problem() {
        return Problem.of(422, "model rejected", getMessage());
    }
}
