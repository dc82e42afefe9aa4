package dev.ddpm.sampler.service;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;

/** A sampling request that cannot run as asked; {@link #field()} names the culprit. */
public final class InvalidSampleRequestException extends RuntimeException implements ProblemSource {

    private final String field;

    public InvalidSampleRequestException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }

    @Override
    public Problem problem() {
        return Problem.of(400, "invalid sampling request", getMessage()).withField(field);
    }
}
