package dev.ddpm.gateway.mapping;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The sampler's gRPC statuses to HTTP. */
public final class SamplerStatuses {

    private SamplerStatuses() {
    }

    /** HTTP status for a sampler's gRPC status. */
    public static int httpStatus(Throwable error) {
        if (!(error instanceof StatusRuntimeException e)) {
            return 502;
        }
        return switch (e.getStatus().getCode()) {
            case INVALID_ARGUMENT -> 400;
            case NOT_FOUND -> 404;
            case RESOURCE_EXHAUSTED -> 429;
            case DEADLINE_EXCEEDED -> 504;
            case UNAVAILABLE -> 503;
            default -> 502;
        };
    }

    /** The field an INVALID_ARGUMENT names ("steps: ..."), or null. */
    public static String field(Throwable error) {
        if (error instanceof StatusRuntimeException e && e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT
                && e.getStatus().getDescription() != null && e.getStatus().getDescription().contains(":")) {
            return e.getStatus().getDescription().substring(0, e.getStatus().getDescription().indexOf(':'));
        }
        return null;
    }

    /** The sampler's retry hint (trailer retry-after-ms) in whole seconds, at least 1. */
    public static long retryAfterSeconds(Throwable error) {
        if (error instanceof StatusRuntimeException e && e.getTrailers() != null) {
            String ms = e.getTrailers().get(io.grpc.Metadata.Key.of("retry-after-ms", io.grpc.Metadata.ASCII_STRING_MARSHALLER));
            if (ms != null && ms.matches("\\d+")) {
                return Math.max(1, (Long.parseLong(ms) + 999) / 1000);
            }
        }
        return 1;
    }

    public static String detail(Throwable error) {
        if (error instanceof StatusRuntimeException e) {
            return e.getStatus().getDescription() != null ? e.getStatus().getDescription()
                    : "sampler answered " + e.getStatus().getCode();
        }
        return "sampler call failed: " + error.getMessage();
    }
}
