package dev.ddpm.sampler;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.Priority;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.service.SamplingService;
import dev.ddpm.service.testing.GaussianModel;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * Liveness watches the step batcher: a loop wedged inside a turn (here a listener that blocks in its
 * progress callback, as a stuck stream or a network call that never returns would) while it holds a
 * request turns /q/health/live DOWN (503) once sampler.liveness.max-turn-gap (3 s in the test profile)
 * has passed, naming the check and why; once the loop turns again it is UP.
 */
@QuarkusTest
class BatcherLivenessTest extends SamplerTestBase {

    @Inject
    SamplingService sampling;

    @Test
    void aWedgedLoopTurnsTheServiceNotLiveAndAFreedOneLiveAgain() throws Exception {
        GaussianModel model =
                publish(new GaussianModel(name("wedge"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        given().get("/q/health/live").then().statusCode(200);
        CountDownLatch wedged = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SamplingJob job = sampling.start(
                null,
                new SamplingRequest(
                        model.name(),
                        null,
                        1,
                        SamplerKind.DDPM,
                        100,
                        0.0,
                        1L,
                        OutputFormat.PNG,
                        true,
                        null,
                        0,
                        null,
                        null,
                        null,
                        null),
                Priority.INTERACTIVE,
                new JobListener() {
                    @Override
                    public void progress(int step, int totalSteps, double etaSeconds, int queuePosition) {
                        if (step > 0 && wedged.getCount() > 0) {
                            wedged.countDown();
                            try {
                                release.await(60, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }

                    @Override
                    public void completed(ModelManifest m, float[][] images, List<byte[][]> frames, double s) {}

                    @Override
                    public void failed(RuntimeException error) {}
                });
        try {
            assertThat(wedged.await(10, TimeUnit.SECONDS))
                    .as("the loop entered the listener")
                    .isTrue();

            await().atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> given().get("/q/health/live")
                            .then()
                            .statusCode(503)
                            .body("status", equalTo("DOWN"))
                            .body("checks.name", hasItem("step-batcher"))
                            .body("checks.find { it.name == 'step-batcher' }.status", equalTo("DOWN"))
                            .body(
                                    "checks.find { it.name == 'step-batcher' }.data.reason",
                                    containsString("has not completed a turn"))
                            .body(
                                    "checks.find { it.name == 'step-batcher' }.data.heldRequests",
                                    greaterThanOrEqualTo(1)));
        } finally {
            release.countDown();
            job.cancel();
        }
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> given().get("/q/health/live")
                        .then()
                        .statusCode(200)
                        .body("checks.find { it.name == 'step-batcher' }.status", equalTo("UP")));
    }
}
