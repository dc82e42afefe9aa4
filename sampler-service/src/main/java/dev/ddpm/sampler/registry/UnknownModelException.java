package dev.ddpm.sampler.registry;

/** No such model (or version) is loaded or loadable. */
public final class UnknownModelException extends RuntimeException {

    public UnknownModelException(String message) {
        super(message);
    }
}
