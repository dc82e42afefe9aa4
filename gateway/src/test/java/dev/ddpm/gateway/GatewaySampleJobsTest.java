package dev.ddpm.gateway;

import dev.ddpm.service.testing.GaussianModel;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

/**
 * Asynchronous sample jobs through the gateway: served by the sampler, and cancelled.
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class GatewaySampleJobsTest extends GatewayTestBase {

    @Test
    void anAsynchronousJobCanBeCancelled() {
        GaussianModel model =
                publish(new GaussianModel(name("gwjobcancel"), "v1", GaussianModel.pattern(3, 64, 0), 0.3, 3, 64));
        String jobId = as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"count\":16,\"sampler\":\"ddpm\"}")
                .post("/v1/sample-jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("jobId");
        await().atMost(Duration.ofSeconds(30)).until(() -> samplerBacklog() > 0);
        as(TRAINER_KEY)
                .delete("/v1/sample-jobs/" + jobId)
                .then()
                .statusCode(202)
                .body("state", equalTo("cancelling"));
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> as(TRAINER_KEY)
                        .get("/v1/sample-jobs/" + jobId)
                        .then()
                        .statusCode(200)
                        .body("state", equalTo("cancelled")));
        await().atMost(Duration.ofSeconds(10)).until(() -> samplerBacklog() == 0);
        as(TRAINER_KEY)
                .delete("/v1/sample-jobs/" + jobId)
                .then()
                .statusCode(409)
                .contentType("application/problem+json");
    }

    @Test
    void anAsynchronousJobIsServedByTheSampler() {
        GaussianModel model =
                publish(new GaussianModel(name("gwjob"), "v1", GaussianModel.pattern(1, 16, 1), 0.3, 1, 16));
        String jobId = as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"count\":2,\"steps\":10}")
                .post("/v1/sample-jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("jobId");
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> as(VIEWER_KEY)
                        .get("/v1/sample-jobs/" + jobId)
                        .then()
                        .statusCode(200)
                        .body("state", equalTo("succeeded")));
        List<String> files =
                as(VIEWER_KEY).get("/v1/sample-jobs/" + jobId).then().extract().path("results");
        assertThat(files).hasSize(2);
        as(VIEWER_KEY).get(files.get(1)).then().statusCode(200).contentType("image/png");
    }
}
