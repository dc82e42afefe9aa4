package dev.ddpm.gateway;

import dev.ddpm.core.events.Topic;
import dev.ddpm.service.testing.ServiceContractTest;
import io.quarkus.test.junit.QuarkusTest;

import java.util.List;

@QuarkusTest
class GatewayContractTest extends ServiceContractTest {

    @Override
    protected List<Topic> consumedTopics() {
        return List.of(Topic.TRAINING_EVENTS, Topic.TRAINING_REQUESTS, Topic.SAMPLE_RESULTS);
    }

    @Override
    protected io.restassured.specification.RequestSpecification operator() {
        return io.restassured.RestAssured.given().header("X-API-Key", "test-key-admin");
    }
}
