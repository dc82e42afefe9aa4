package dev.ddpm.service.testing;

import dev.ddpm.core.events.Topic;
import dev.ddpm.core.messaging.KafkaSettings;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;

/**
 * What every service promises operators, run by each service against the real broker and S3
 * server of the test run (subclass it with {@code @QuarkusTest}).
 */
public abstract class ServiceContractTest {

    @Inject
    protected KafkaSettings kafka;

    /** The topics this service consumes: every one must survive poison records. */
    protected abstract List<Topic> consumedTopics();

    /**
     * Malformed JSON, a binary-mode event with a broken attribute and an event of another topic's
     * type, sent in that order to each consumed topic: all three land on the topic's dead-letter
     * topic with the reason in their headers (so the consumer went on past each failure), the
     * counter says so, and the service stays alive and ready.
     */
    @Test
    void poisonRecordsGoToTheDeadLetterTopicsAndConsumptionGoesOn() throws Exception {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> given().get("/q/health/ready")
                        .then()
                        .body("checks.find { it.name == 'kafka' }.status", equalTo("UP")));
        for (Topic topic : consumedTopics()) {
            String key = "poison-" + UUID.randomUUID();
            PoisonRecords.send(kafka, topic, key);
            List<ConsumerRecord<String, byte[]>> dead = PoisonRecords.awaitDeadLetters(
                    kafka, topic, key, PoisonRecords.Kind.values().length, Duration.ofSeconds(60));
            assertThat(dead).as("dead letters of %s", topic.topicName()).hasSize(PoisonRecords.Kind.values().length);
            assertThat(dead)
                    .allSatisfy(r -> assertThat(PoisonRecords.header(r, "dead-letter-topic"))
                            .isEqualTo(topic.topicName()));
            assertThat(PoisonRecords.header(dead.get(0), "dead-letter-reason")).contains("not valid JSON");
            assertThat(PoisonRecords.header(dead.get(1), "dead-letter-reason")).contains("time");
            assertThat(PoisonRecords.header(dead.get(2), "dead-letter-reason")).contains("belongs on");
        }
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/metrics").then().statusCode(200).body(containsString("ddpm_messages_dead_lettered_total"));
    }

    @Test
    void livenessIsUp() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    protected void readinessFollowsTheRealKafkaAndS3() {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> given().get("/q/health/ready")
                        .then()
                        .statusCode(200)
                        .body("status", equalTo("UP"))
                        .body("checks.name", hasItems("kafka", "s3")));
        // Open to anyone, so without addresses or ids; the details are for operators only.
        String readiness = given().get("/q/health/ready").asString();
        assertThat(readiness)
                .doesNotContain(kafka.bootstrapServers())
                .doesNotContain("clusterId")
                .doesNotContain("address");
        given().get("/v1/dependencies").then().statusCode(401);
        operator()
                .get("/v1/dependencies")
                .then()
                .statusCode(200)
                .body("find { it.name == 'kafka' }.address", equalTo(kafka.bootstrapServers()))
                .body("find { it.name == 'kafka' }.facts.clusterId", not(emptyOrNullString()))
                .body(
                        "find { it.name == 's3' }.facts.buckets",
                        containsString("ddpm-checkpoints,ddpm-datasets,ddpm-models,ddpm-samples"));
    }

    /** A request with the credential this service's operator routes take (the operator key by default). */
    protected RequestSpecification operator() {
        return given().header("x-operator-key", "test-operator-key");
    }

    @Test
    void metricsArePrometheusText() {
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> given().get("/q/metrics")
                        .then()
                        .statusCode(200)
                        .body(containsString("ddpm_dependency_up{dependency=\"kafka\"} 1.0"))
                        .body(containsString("ddpm_dependency_up{dependency=\"s3\"} 1.0"))
                        .body(containsString("jvm_memory_used_bytes")));
    }

    @Test
    void openApiDocumentIsServed() {
        given().accept("application/json")
                .get("/q/openapi")
                .then()
                .statusCode(200)
                .body("openapi", containsString("3."));
    }

    /**
     * Every JSON request body is a bound record, so the document names its schema (a body read as
     * bytes would show as an opaque binary string).
     */
    @Test
    @SuppressWarnings("unchecked")
    void everyJsonRequestBodyHasItsSchemaInTheApiDocument() {
        Map<String, Object> paths = given().accept("application/json")
                .get("/q/openapi")
                .then()
                .statusCode(200)
                .extract()
                .path("paths");
        List<String> bodies = new ArrayList<>();
        paths.forEach((path, operations) -> ((Map<String, Object>) operations).forEach((method, operation) -> {
            Object json = operation instanceof Map<?, ?> op
                            && op.get("requestBody") instanceof Map<?, ?> body
                            && body.get("content") instanceof Map<?, ?> content
                    ? content.get("application/json")
                    : null;
            if (json != null) {
                bodies.add(method + " " + path + ": " + ((Map<String, Object>) json).get("schema"));
            }
        }));
        assertThat(bodies).isNotEmpty().allSatisfy(body -> assertThat(body).contains("$ref=#/components/schemas/"));
    }
}
