package dev.ddpm.sampler;

import dev.ddpm.core.events.Topic;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.sampler.registry.ModelRegistry;
import dev.ddpm.service.testing.GaussianModel;
import dev.ddpm.service.testing.ServiceContractTest;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

/** The operators' contract, plus the sampler's own readiness rule: ready only with a model loaded. */
@QuarkusTest
class SamplerServiceContractTest extends ServiceContractTest {

    @Override
    protected List<Topic> consumedTopics() {
        return List.of(Topic.MODELS, Topic.SAMPLE_JOBS);
    }

    @Inject
    ArtifactStore store;

    @Inject
    EventPublisher events;

    @Inject
    ModelRegistry registry;

    @Test
    @Override
    protected void readinessFollowsTheRealKafkaAndS3() {
        if (!registry.anyLoaded()) {
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(() -> given().get("/q/health/ready")
                            .then()
                            .statusCode(503)
                            .body("checks.find { it.name == 'kafka' }.status", equalTo("UP"))
                            .body("checks.find { it.name == 's3' }.status", equalTo("UP"))
                            .body("checks.find { it.name == 'models' }.status", equalTo("DOWN")));
        }
        String name = "contract-" + UUID.randomUUID().toString().substring(0, 8);
        new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16).publish(store, events);
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> given().get("/q/health/ready")
                        .then()
                        .statusCode(200)
                        .body("checks.name", hasItems("kafka", "s3", "models"))
                        .body("checks.find { it.name == 'models' }.data." + name, equalTo("v1"))
                        .body("checks.find { it.name == 'models' }.data.executionProvider", equalTo("cpu")));
        super.readinessFollowsTheRealKafkaAndS3();
    }
}
