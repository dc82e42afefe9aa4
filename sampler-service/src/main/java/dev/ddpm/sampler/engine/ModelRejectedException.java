package dev.ddpm.sampler.engine;

/** A model version that must not serve: wrong sha256, unparsable graph, or shapes that disagree with the manifest. */
public final class ModelRejectedException extends RuntimeException {

    public ModelRejectedException(String message) {
        super(message);
    }

    public ModelRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
