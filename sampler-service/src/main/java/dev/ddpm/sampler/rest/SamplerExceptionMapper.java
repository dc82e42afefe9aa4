package dev.ddpm.sampler.rest;

import dev.ddpm.sampler.batching.DeadlineException;
import dev.ddpm.sampler.batching.QueueFullException;
import dev.ddpm.sampler.engine.ModelRejectedException;
import dev.ddpm.sampler.registry.UnknownModelException;
import dev.ddpm.sampler.service.InvalidSampleRequestException;
import dev.ddpm.service.rest.Problems;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;

/** The sampler's exceptions as problem+json, written once for every resource (a failed Uni included). */
public class SamplerExceptionMapper {

    @ServerExceptionMapper
    public Response invalid(InvalidSampleRequestException e) {
        return Problems.builder(400, "invalid sampling request", e.getMessage(), Map.of("field", e.field())).build();
    }

    @ServerExceptionMapper
    public Response unknownModel(UnknownModelException e) {
        return Problems.problem(404, "unknown model", e.getMessage());
    }

    @ServerExceptionMapper
    public Response rejected(ModelRejectedException e) {
        return Problems.problem(422, "model rejected", e.getMessage());
    }

    /** 429 with the time the measured throughput needs to make room, in whole seconds. */
    @ServerExceptionMapper
    public Response busy(QueueFullException e) {
        long seconds = Math.max(1, (e.retryAfter().toMillis() + 999) / 1000);
        return Problems.builder(429, "sampler busy", e.getMessage(), Map.of()).header("Retry-After", seconds).build();
    }

    @ServerExceptionMapper
    public Response deadline(DeadlineException e) {
        return Problems.problem(504, "deadline", e.getMessage());
    }
}
