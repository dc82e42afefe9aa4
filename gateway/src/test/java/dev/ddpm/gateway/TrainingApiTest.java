package dev.ddpm.gateway;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingCompleted;
import dev.ddpm.core.events.TrainingProgress;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.events.TrainingStarted;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.service.testing.GaussianModel;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Training runs through the gateway: requests validated and sent as events, what a trainer
 * reports shown, and the runs' event streams (404, heartbeats, the end with the run, the
 * per-key cap).
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class TrainingApiTest extends GatewayTestBase {

    @Test
    void trainingEventStreamsAre404ForUnknownRunsBeatEndWithTheRunAndAreCappedPerKey() throws Exception {
        as(TRAINER_KEY)
                .accept("text/event-stream")
                .get("/v1/trainings/no-such-run/events")
                .then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("detail", containsString("no-such-run"));
        String runId = name("sse-run");
        // Requested by the trainer key (through another replica): its run, whose events it may follow.
        send(new TrainingRequested(
                runId,
                TrainingRequest.builder().dataset("d").modelName("m").steps(20).build(),
                "trainer"));
        send(new TrainingStarted(runId, "d", "m", "cpu()", 1000, 0, 20));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> as(TRAINER_KEY).get("/v1/trainings/" + runId).statusCode() == 200);

        HttpClient client = HttpClient.newHttpClient();
        HttpRequest events = HttpRequest.newBuilder(URI.create(
                        "http://localhost:" + io.restassured.RestAssured.port + "/v1/trainings/" + runId + "/events"))
                .header("X-API-Key", TRAINER_KEY)
                .header("Accept", "text/event-stream")
                .build();
        List<Iterator<String>> streams = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            var response = client.send(events, HttpResponse.BodyHandlers.ofLines());
            assertThat(response.statusCode()).isEqualTo(200);
            streams.add(response.body().iterator());
        }
        as(TRAINER_KEY)
                .accept("text/event-stream")
                .get("/v1/trainings/" + runId + "/events")
                .then()
                .statusCode(429)
                .contentType("application/problem+json")
                .body("detail", containsString("holds 3 open event streams"));

        ExecutorService readers = Executors.newFixedThreadPool(3);
        try {
            Iterator<String> first = streams.get(0);
            assertThat(readers.submit(() -> {
                                while (first.hasNext()) {
                                    if (first.next().startsWith(":")) {
                                        return true;
                                    }
                                }
                                return false;
                            })
                            .get(10, TimeUnit.SECONDS))
                    .as("a heartbeat comment while nothing happens")
                    .isTrue();

            send(new TrainingCompleted(runId, "m", 20, 0.2, runId + "/step-20/checkpoint.json", "20261203-000000-s20"));
            for (Iterator<String> stream : streams) {
                List<String> rest = readers.submit(() -> {
                            List<String> lines = new ArrayList<>();
                            stream.forEachRemaining(lines::add);
                            return lines;
                        })
                        .get(10, TimeUnit.SECONDS);
                assertThat(rest).as("the stream ends with the run").contains("event:completed");
            }
        } finally {
            readers.shutdownNow();
        }
        // The places are given back when the streams end.
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> as(TRAINER_KEY)
                        .accept("text/event-stream")
                        .get("/v1/trainings/" + runId + "/events")
                        .then()
                        .statusCode(200));
    }

    @Test
    void trainingRunsAreRequestedAndFollowed() {
        String dataset = name("train");
        as(TRAINER_KEY)
                .contentType("application/octet-stream")
                .body(ImageEncoding.png(GaussianModel.pattern(1, 16, 0), 1, 16))
                .post("/v1/datasets/" + dataset + "?file=a.png")
                .then()
                .statusCode(201);
        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"dataset\":\"missing-" + dataset + "\",\"steps\":10}")
                .post("/v1/trainings")
                .then()
                .statusCode(404);
        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"dataset\":\"" + dataset + "\",\"steps\":0}")
                .post("/v1/trainings")
                .then()
                .statusCode(400)
                .body("field", equalTo("steps"));
        // Refused whether or not the data set exists: the event itself would not take these values.
        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"dataset\":\"missing-" + dataset + "\",\"steps\":10,\"learningRateDecay\":\"linear\"}")
                .post("/v1/trainings")
                .then()
                .statusCode(400)
                .body("field", equalTo("learningRateDecay"))
                .body("detail", containsString("none or cosine, was 'linear'"));
        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"dataset\":\"" + dataset + "\",\"steps\":10,\"snrGamma\":-5}")
                .post("/v1/trainings")
                .then()
                .statusCode(400)
                .body("field", equalTo("snrGamma"));
        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"dataset\":\"" + dataset + "\",\"steps\":10,\"maxMinutes\":-1}")
                .post("/v1/trainings")
                .then()
                .statusCode(400)
                .body("field", equalTo("maxMinutes"));
        // Upper bounds, each named with its limit.
        for (String[] bound : new String[][] {
            {"steps", "\"steps\":20000000", "at most 10000000"},
            {"batchSize", "\"steps\":10,\"batchSize\":5000", "at most 4096"},
            {"timesteps", "\"steps\":10,\"timesteps\":20000", "at most 10000"},
            {"checkpointEvery", "\"steps\":10,\"checkpointEvery\":0", ">= 1"},
            {"keepCheckpoints", "\"steps\":10,\"keepCheckpoints\":1001", "at most 1000"},
            {"qualityEvery", "\"steps\":10,\"qualityEvery\":-1", ">= 0"}
        }) {
            as(TRAINER_KEY)
                    .contentType("application/json")
                    .body("{\"dataset\":\"" + dataset + "\"," + bound[1] + "}")
                    .post("/v1/trainings")
                    .then()
                    .statusCode(400)
                    .body("field", equalTo(bound[0]))
                    .body("detail", containsString(bound[2]));
        }
        String runId = as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"dataset\":\"" + dataset + "\",\"steps\":20,\"preset\":\"tiny\",\"batchSize\":8,"
                        + "\"learningRateDecay\":\"cosine\",\"snrGamma\":5,\"maxMinutes\":2.5,\"horizontalFlip\":true,"
                        + "\"qualityEvery\":10}")
                .post("/v1/trainings")
                .then()
                .statusCode(202)
                .extract()
                .path("runId");
        TrainingRequested requested =
                (TrainingRequested) awaitEvent(Topic.TRAINING_REQUESTS, runId, TrainingRequested.class::isInstance);
        assertThat(requested.request().steps()).isEqualTo(20);
        assertThat(requested.request().cosineDecay()).isTrue();
        assertThat(requested.request().snrGamma()).isEqualTo(5.0);
        assertThat(requested.request().maxMinutes()).isEqualTo(2.5);
        assertThat(requested.request().horizontalFlip()).isTrue();
        assertThat(requested.request().flips(1))
                .as("asked for, so even for one channel")
                .isTrue();
        assertThat(requested.request().qualityEvery()).isEqualTo(10);
        assertThat(requested.requestedBy()).isEqualTo("trainer");
        as(TRAINER_KEY).get("/v1/trainings/" + runId).then().statusCode(200).body("state", equalTo("requested"));

        // What a trainer reports, the gateway shows (no trainer runs in this module's tests).
        send(new TrainingStarted(runId, dataset, dataset, "cpu()", 1000, 0, 20));
        send(new TrainingProgress(
                runId,
                10,
                20,
                0.25,
                100.0,
                3.0,
                Map.of("quality_fld", 12.5, "quality_fld_floor", 3.0, "quality_recognisable", 0.5)));
        send(new TrainingProgress(runId, 15, 20, 0.24, 100.0, 2.0));
        // The newest measurement stays shown through the progress reports without one.
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> as(TRAINER_KEY)
                        .get("/v1/trainings/" + runId)
                        .then()
                        .body("state", equalTo("running"))
                        .body("step", equalTo(15))
                        .body("loss", equalTo(0.24f))
                        .body("quality.quality_fld", equalTo(12.5f))
                        .body("qualityStep", equalTo(10)));
        send(new TrainingCompleted(runId, dataset, 20, 0.2, runId + "/step-20/checkpoint.json", "20261128-000000-s20"));
        String stream = as(TRAINER_KEY)
                .accept("text/event-stream")
                .get("/v1/trainings/" + runId + "/events")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(stream).contains("event:completed", "\"modelVersion\":\"20261128-000000-s20\"");
        as(TRAINER_KEY).get("/v1/trainings/unknown-run").then().statusCode(404);
    }
}
