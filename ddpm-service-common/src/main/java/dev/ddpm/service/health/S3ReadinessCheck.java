package dev.ddpm.service.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the S3 server answers with these credentials and the design's buckets exist. */
@Readiness
@ApplicationScoped
public class S3ReadinessCheck implements HealthCheck {

    private final DependencyMonitor monitor;

    public S3ReadinessCheck(DependencyMonitor monitor) {
        this.monitor = monitor;
    }

    @Override
    public HealthCheckResponse call() {
        return DependencyResponse.of(monitor.status(DependencyMonitor.S3));
    }
}
