package dev.ddpm.sampler.service;

/** A sampling request that cannot run as asked; {@link #field()} names the culprit. */
public final class InvalidSampleRequestException extends RuntimeException {

    private final String field;

    public InvalidSampleRequestException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
