package dev.ddpm.sampler.health;

import dev.ddpm.sampler.batching.StepBatcher;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Not ready once the sampler drains before it stops: it refuses new requests, so none should be sent. */
@Readiness
@ApplicationScoped
public class DrainReadinessCheck implements HealthCheck {

    private final StepBatcher batcher;

    public DrainReadinessCheck(StepBatcher batcher) {
        this.batcher = batcher;
    }

    @Override
    public HealthCheckResponse call() {
        if (!batcher.draining()) {
            return HealthCheckResponse.up("drain");
        }
        return HealthCheckResponse.named("drain")
                .down()
                .withData(
                        "reason",
                        "the sampler is shutting down: it finishes the requests it holds and takes no new ones")
                .withData("heldRequests", batcher.heldRequests())
                .build();
    }
}
