package dev.ddpm.service.testing;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.emptyOrNullString;

/**
 * What every service promises operators, run by each service against the real broker and S3
 * server of the test run (subclass it with {@code @QuarkusTest}).
 */
public abstract class ServiceContractTest {

    @Test
    void livenessIsUp() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    protected void readinessFollowsTheRealKafkaAndS3() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                given().get("/q/health/ready").then().statusCode(200)
                        .body("status", equalTo("UP"))
                        .body("checks.name", hasItems("kafka", "s3"))
                        .body("checks.find { it.name == 'kafka' }.data.clusterId", not(emptyOrNullString()))
                        .body("checks.find { it.name == 's3' }.data.buckets",
                                containsString("ddpm-checkpoints,ddpm-datasets,ddpm-models,ddpm-samples")));
    }

    @Test
    void metricsArePrometheusText() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                given().get("/q/metrics").then().statusCode(200)
                        .body(containsString("ddpm_dependency_up{dependency=\"kafka\"} 1.0"))
                        .body(containsString("ddpm_dependency_up{dependency=\"s3\"} 1.0"))
                        .body(containsString("jvm_memory_used_bytes")));
    }

    @Test
    void openApiDocumentIsServed() {
        given().accept("application/json").get("/q/openapi").then().statusCode(200)
                .body("openapi", containsString("3."));
    }
}
