package dev.ddpm.gateway.service;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;

import java.time.Duration;
import java.util.Map;

/**
 * A request the gateway refuses or cannot serve, as the problem both APIs report: its HTTP status
 * (the gRPC code follows from it), title, detail and the field at fault, if one is.
 */
public final class GatewayException extends RuntimeException implements ProblemSource {

    private final Problem problem;

    public GatewayException(int status, String title, String detail, String field) {
        this(Problem.of(status, title, detail).withField(field));
    }

    public GatewayException(int status, String title, String detail) {
        this(status, title, detail, null);
    }

    private GatewayException(Problem problem) {
        super(problem.detail());
        this.problem = problem;
    }

    /** 429 with the seconds after which the same request would be taken. */
    public static GatewayException tooMany(String title, String detail, long retryAfterSeconds) {
        return new GatewayException(
                Problem.of(429, title, detail).withRetryAfter(Duration.ofSeconds(Math.max(1, retryAfterSeconds))));
    }

    /**
     * 429 carrying the figures of the limit it hit as problem members, and the wait after which the
     * same request would be taken where one can be told (null: none can).
     */
    public static GatewayException overQuota(
            String title, String detail, Duration retryAfter, Map<String, Object> figures) {
        Problem problem = Problem.of(429, title, detail).withMembers(figures);
        return new GatewayException(retryAfter == null ? problem : problem.withRetryAfter(retryAfter));
    }

    @Override
    public Problem problem() {
        return problem;
    }
}
