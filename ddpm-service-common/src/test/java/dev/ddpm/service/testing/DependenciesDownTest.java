package dev.ddpm.service.testing;

import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

/**
 * A service started while Kafka and S3 are down stays alive and says precisely why it is not
 * ready (subclass it with {@code @QuarkusTest @TestProfile(DependenciesDown.class)}). That it
 * becomes ready once they come back is checked end to end by scripts/smoke-test.sh.
 */
public abstract class DependenciesDownTest {

    /** A request with the credential this service's operator routes take (the operator key by default). */
    protected RequestSpecification operator() {
        return given().header("x-operator-key", "test-operator-key");
    }

    @Test
    void aliveButNotReadyWithTheReason() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> given().get("/q/health/ready")
                        .then()
                        .statusCode(503)
                        .body("status", equalTo("DOWN"))
                        .body("checks.find { it.name == 'kafka' }.status", equalTo("DOWN"))
                        .body("checks.find { it.name == 'kafka' }.data.reason", containsString("unreachable"))
                        .body("checks.find { it.name == 's3' }.status", equalTo("DOWN"))
                        .body("checks.find { it.name == 's3' }.data.reason", containsString("unreachable"))
                        .body(not(containsString("127.0.0.1"))));
        // The precise reasons, with addresses, for operators.
        operator()
                .get("/v1/dependencies")
                .then()
                .statusCode(200)
                .body("find { it.name == 'kafka' }.address", equalTo("127.0.0.1:1"))
                .body(
                        "find { it.name == 'kafka' }.detail",
                        allOf(containsString(" "), not(containsString("not probed"))))
                .body(
                        "find { it.name == 's3' }.detail",
                        containsString("S3 http://127.0.0.1:1: list buckets failed: ConnectException"));
        given().get("/q/metrics")
                .then()
                .statusCode(200)
                .body(containsString("ddpm_dependency_up{dependency=\"s3\"} 0.0"));
    }
}
