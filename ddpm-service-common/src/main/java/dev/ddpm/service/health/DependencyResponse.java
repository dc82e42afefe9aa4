package dev.ddpm.service.health;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * Renders a {@link DependencyStatus} as a health check response: the state, since when, and the
 * reason in words when down. Readiness is open to anyone, so addresses, cluster ids and raw errors
 * stay out of it; operators read them at {@code GET /v1/dependencies} and in the log.
 */
final class DependencyResponse {

    private DependencyResponse() {}

    static HealthCheckResponse of(DependencyStatus status) {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named(status.name())
                .status(status.up())
                .withData(status.up() ? "detail" : "reason", status.summary())
                .withData("since", status.since().toString());
        return builder.build();
    }
}
