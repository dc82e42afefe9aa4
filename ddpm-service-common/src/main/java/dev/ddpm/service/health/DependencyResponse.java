package dev.ddpm.service.health;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/** Renders a {@link DependencyStatus} as a health check response with the reason when down. */
final class DependencyResponse {

    private DependencyResponse() {
    }

    static HealthCheckResponse of(DependencyStatus status) {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named(status.name())
                .status(status.up())
                .withData("address", status.address())
                .withData(status.up() ? "detail" : "reason", status.detail())
                .withData("since", status.since().toString());
        status.facts().forEach(builder::withData);
        return builder.build();
    }
}
