package dev.ddpm.sampler.health;

import dev.ddpm.sampler.engine.OnnxEngine;
import dev.ddpm.sampler.registry.ModelRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready to sample only with at least one model loaded and warmed up; says which, and on what provider. */
@Readiness
@ApplicationScoped
public class ModelsReadinessCheck implements HealthCheck {

    private final ModelRegistry registry;
    private final OnnxEngine engine;

    public ModelsReadinessCheck(ModelRegistry registry, OnnxEngine engine) {
        this.registry = registry;
        this.engine = engine;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("models")
                .withData("executionProvider", engine.provider().label());
        registry.current().forEach((name, model) -> response.withData(name, model.version()));
        if (!registry.anyLoaded()) {
            return response.down()
                    .withData(
                            "reason",
                            "no model loaded yet (waiting for a ModelPublished or a " + "model in the models bucket)")
                    .build();
        }
        return response.up().build();
    }
}
