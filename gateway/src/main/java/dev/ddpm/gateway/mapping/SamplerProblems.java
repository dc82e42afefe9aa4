package dev.ddpm.gateway.mapping;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.grpc.GrpcProblems;

/**
 * A failed sampler call as the gateway's clients see it, over HTTP, server-sent events and gRPC
 * alike: the shared reverse mapping (status, field and retry hint from the sampler's trailers),
 * titled as the sampler's failure.
 */
public final class SamplerProblems {

    private SamplerProblems() {}

    public static Problem of(Throwable error) {
        Problem problem = GrpcProblems.problem(error);
        return problem.withTitle(
                switch (problem.status()) {
                    case 400 -> "invalid sampling request";
                    case 404 -> "unknown model";
                    case 429 -> "samplers busy";
                    case 504 -> "sampling timed out";
                    default -> "sampler unavailable";
                });
    }
}
