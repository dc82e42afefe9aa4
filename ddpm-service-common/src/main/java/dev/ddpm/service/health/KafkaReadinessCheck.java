package dev.ddpm.service.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the Kafka broker answers and the design's topics exist. */
@Readiness
@ApplicationScoped
public class KafkaReadinessCheck implements HealthCheck {

    private final DependencyMonitor monitor;

    public KafkaReadinessCheck(DependencyMonitor monitor) {
        this.monitor = monitor;
    }

    @Override
    public HealthCheckResponse call() {
        return DependencyResponse.of(monitor.status(DependencyMonitor.KAFKA));
    }
}
