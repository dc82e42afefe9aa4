package dev.ddpm.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.DatasetUpdated;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingCompleted;
import dev.ddpm.core.events.TrainingProgress;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.events.TrainingStarted;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.service.testing.GaussianModel;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * The public HTTP API against a real sampler process, the real broker and the real S3 server:
 * authentication and scopes, validation with precise problems, sampling (plain and streamed),
 * models, data sets, training runs and asynchronous jobs.
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class GatewayApiTest {

    static final String TRAINER_KEY = "test-key-trainer";
    static final String VIEWER_KEY = "test-key-sampler";

    @Inject
    ArtifactStore store;
    @Inject
    EventPublisher events;
    @Inject
    KafkaSettings kafka;

    @Test
    void keysAndScopesGuardTheApiButNotHealth() {
        given().get("/v1/models").then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", containsString("Bearer"));
        given().header("X-API-Key", "not-a-key").get("/v1/models").then().statusCode(401);
        as(VIEWER_KEY).get("/v1/models").then().statusCode(200);
        given().header("Authorization", "Bearer " + VIEWER_KEY).get("/v1/models").then().statusCode(200);
        as(VIEWER_KEY).contentType("application/json").body("{\"dataset\":\"x\",\"steps\":10}").post("/v1/trainings")
                .then().statusCode(403).body("detail", containsString("'train' scope"));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
        given().get("/q/openapi").then().statusCode(200).body(containsString("/v1/samples"));
    }

    @Test
    void aKeyOverItsRateIsToldWhenToComeBack() {
        // The key's own quota (burst 5, one more every 5 s; the default is 40 and 10/s): the sixth request
        // is refused unless the first five took 5 s, which a cheap in-memory lookup never does.
        int firstRefused = -1;
        for (int i = 1; i <= 12 && firstRefused < 0; i++) {
            Response r = as("test-key-burst").get("/v1/sample-jobs/job-unknown");
            if (r.statusCode() == 429) {
                firstRefused = i;
                assertThat(Long.parseLong(r.header("Retry-After"))).as("seconds to the next token").isBetween(1L, 5L);
            }
        }
        assertThat(firstRefused).as("the request the key's burst of 5 refuses").isBetween(6, 7);
    }

    @Test
    void samplingThroughTheGatewayPlainAndStreamed() throws Exception {
        GaussianModel model = publish(new GaussianModel(name("gw"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));

        Response png = as(VIEWER_KEY).contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"steps\":20,\"seed\":3}").post("/v1/samples");
        png.then().statusCode(200).contentType("image/png").header("X-Model-Version", "v1");
        assertThat(ImageIO.read(new ByteArrayInputStream(png.asByteArray())).getWidth()).isEqualTo(16);

        String stream = as(VIEWER_KEY).accept("text/event-stream").contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"count\":2,\"steps\":10,\"previewEvery\":5,\"output\":\"grid\"}")
                .post("/v1/samples").then().statusCode(200).extract().asString();
        assertThat(stream).contains("event:progress", "event:preview", "event:result", "\"version\":\"v1\"");
        assertThat(stream.indexOf("event:result")).isGreaterThan(stream.lastIndexOf("event:progress"));

        as(VIEWER_KEY).contentType("application/json").body("{\"model\":\"" + model.name() + "\",\"steps\":5000}")
                .post("/v1/samples").then().statusCode(400).contentType("application/problem+json")
                .body("field", equalTo("steps"));
        // The same refusal streamed: an error event with the problem+json members, the field the
        // sampler sent as a gRPC trailer.
        String refused = as(VIEWER_KEY).accept("text/event-stream").contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"steps\":5000}")
                .post("/v1/samples").then().statusCode(200).extract().asString();
        Matcher error = Pattern.compile("event:error\\s+data:(.*)").matcher(refused);
        assertThat(error.find()).as(refused).isTrue();
        JsonNode problem = Json.parse(error.group(1).getBytes(StandardCharsets.UTF_8), "SSE error");
        assertThat(problem.get("type").asText()).isEqualTo("about:blank");
        assertThat(problem.get("title").asText()).isEqualTo("invalid sampling request");
        assertThat(problem.get("status").asInt()).isEqualTo(400);
        assertThat(problem.get("field").asText()).isEqualTo("steps");
        assertThat(problem.get("detail").asText()).contains("steps");
        as(VIEWER_KEY).contentType("application/json").body("{\"model\":\"" + model.name() + "\",\"count\":1000}")
                .post("/v1/samples").then().statusCode(400).body("field", equalTo("count"));
        as(VIEWER_KEY).contentType("application/json").body("{\"model\":\"" + model.name() + "\",\"eta\":2}")
                .post("/v1/samples").then().statusCode(400).body("field", equalTo("eta"));
        as(VIEWER_KEY).contentType("application/json").body("{\"model\":\"../etc/passwd\"}")
                .post("/v1/samples").then().statusCode(400).body("field", equalTo("model"));
        as(VIEWER_KEY).contentType("application/json").body("{\"model\":\"no-such-model\"}")
                .post("/v1/samples").then().statusCode(404).contentType("application/problem+json");
        as(VIEWER_KEY).contentType("application/json").body("{not json").post("/v1/samples").then().statusCode(400);

        // The ODE solvers and their settings reach the sampler: Heun's 2N - 1 calls show in the progress,
        // and the spacing changes the image the seed gives.
        String heun = as(VIEWER_KEY).accept("text/event-stream").contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"sampler\":\"heun\",\"steps\":5}")
                .post("/v1/samples").then().statusCode(200).extract().asString();
        assertThat(heun).contains("\"totalSteps\":9", "event:result");
        byte[] linspace = as(VIEWER_KEY).contentType("application/json").body("{\"model\":\"" + model.name()
                + "\",\"sampler\":\"dpm++\",\"order\":3,\"steps\":8,\"seed\":3}").post("/v1/samples").asByteArray();
        byte[] karras = as(VIEWER_KEY).contentType("application/json").body("{\"model\":\"" + model.name()
                + "\",\"sampler\":\"dpm++\",\"order\":3,\"steps\":8,\"seed\":3,\"spacing\":\"karras\"}")
                .post("/v1/samples").asByteArray();
        assertThat(karras).isNotEqualTo(linspace);
        as(VIEWER_KEY).contentType("application/json").body("{\"model\":\"" + model.name()
                + "\",\"sampler\":\"ddim\",\"order\":2}").post("/v1/samples").then().statusCode(400)
                .body("field", equalTo("order"));

        // The reverse process as a video: both files as JSON, or the one file the client accepts.
        String video = "{\"model\":\"" + model.name() + "\",\"count\":2,\"steps\":10,\"output\":\"video\"}";
        as(VIEWER_KEY).contentType("application/json").body(video).post("/v1/samples").then().statusCode(200)
                .contentType("application/json").body("images.mediaType", org.hamcrest.Matchers.contains("image/gif", "video/mp4"));
        byte[] mp4 = as(VIEWER_KEY).accept("video/mp4").contentType("application/json").body(video).post("/v1/samples")
                .then().statusCode(200).contentType("video/mp4").extract().asByteArray();
        assertThat(new String(mp4, 4, 4, java.nio.charset.StandardCharsets.US_ASCII)).as("an MP4's ftyp box").isEqualTo("ftyp");
        byte[] gif = as(VIEWER_KEY).accept("image/gif").contentType("application/json").body(video).post("/v1/samples")
                .then().statusCode(200).contentType("image/gif").extract().asByteArray();
        assertThat(new String(gif, 0, 6, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("GIF89a");

        as(VIEWER_KEY).get("/v1/models/" + model.name()).then().statusCode(200)
                .body("version", equalTo("v1")).body("versions", hasItem("v1"))
                .body("manifest.image.width", equalTo(16));
        as(VIEWER_KEY).get("/v1/models").then().statusCode(200).body("name", hasItem(model.name()));
        as(VIEWER_KEY).get("/v1/models/no-such-model").then().statusCode(404);
    }

    @Test
    void aClientThatDisconnectsCancelsItsWorkOnTheSamplerOverRestAndSse() throws Exception {
        GaussianModel model = publish(new GaussianModel(name("gwhangup"), "v1", GaussianModel.pattern(3, 64, 0), 0.3, 3, 64));
        String body = "{\"model\":\"" + model.name() + "\",\"count\":8,\"sampler\":\"ddpm\",\"output\":\"grid\"}";
        for (String accept : List.of("image/png", "text/event-stream")) {
            try (java.net.Socket socket = new java.net.Socket("localhost", io.restassured.RestAssured.port)) {
                socket.getOutputStream().write(("POST /v1/samples HTTP/1.1\r\nHost: localhost\r\nX-API-Key: " + VIEWER_KEY
                        + "\r\nAccept: " + accept + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                socket.getOutputStream().flush();
                await().atMost(Duration.ofSeconds(20)).until(() -> samplerBacklog() > 0);
            }
            await(accept + ": the sampler drops the request").atMost(Duration.ofSeconds(10))
                    .until(() -> samplerBacklog() == 0);
        }
    }

    /** Network evaluations the real sampler still holds (its metrics). */
    static double samplerBacklog() {
        String metrics = given().baseUri(RealSampler.url()).port(-1).get("/q/metrics").then().statusCode(200)
                .extract().asString();
        return metrics.lines().filter(l -> l.startsWith("ddpm_sampler_backlog_evaluations"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aKeyIsHeldToItsQuotaInNetworkEvaluations() {
        GaussianModel model = publish(new GaussianModel(name("gwquota"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        String large = "{\"model\":\"" + model.name() + "\",\"count\":4,\"sampler\":\"ddpm\",\"steps\":200}";
        as("test-key-frugal").contentType("application/json").body(large).post("/v1/samples").then().statusCode(200);
        // 800 of the key's 1,000 spent: the same again is refused at a normal request rate ...
        Response refused = as("test-key-frugal").contentType("application/json").body(large).post("/v1/samples");
        refused.then().statusCode(429).contentType("application/problem+json")
                .body("detail", containsString("needs 800 (4 images x 200 evaluations)"));
        assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(50L, 61L);
        // ... while a small request fits what is left.
        as("test-key-frugal").contentType("application/json").body("{\"model\":\"" + model.name() + "\",\"steps\":10}")
                .post("/v1/samples").then().statusCode(200);
    }

    @Test
    void anAsynchronousJobCanBeCancelled() {
        GaussianModel model = publish(new GaussianModel(name("gwjobcancel"), "v1", GaussianModel.pattern(3, 64, 0), 0.3, 3, 64));
        String jobId = as(TRAINER_KEY).contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"count\":16,\"sampler\":\"ddpm\"}").post("/v1/sample-jobs")
                .then().statusCode(202).extract().path("jobId");
        await().atMost(Duration.ofSeconds(30)).until(() -> samplerBacklog() > 0);
        as(TRAINER_KEY).delete("/v1/sample-jobs/" + jobId).then().statusCode(202).body("state", equalTo("cancelling"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                as(TRAINER_KEY).get("/v1/sample-jobs/" + jobId).then().statusCode(200).body("state", equalTo("cancelled")));
        await().atMost(Duration.ofSeconds(10)).until(() -> samplerBacklog() == 0);
        as(TRAINER_KEY).delete("/v1/sample-jobs/" + jobId).then().statusCode(409).contentType("application/problem+json");
    }

    @Test
    void trainingEventStreamsAre404ForUnknownRunsBeatEndWithTheRunAndAreCappedPerKey() throws Exception {
        as(TRAINER_KEY).accept("text/event-stream").get("/v1/trainings/no-such-run/events").then().statusCode(404)
                .contentType("application/problem+json").body("detail", containsString("no-such-run"));
        String runId = name("sse-run");
        send(new TrainingStarted(runId, "d", "m", "cpu()", 1000, 0, 20));
        await().atMost(Duration.ofSeconds(20)).until(() -> as(TRAINER_KEY).get("/v1/trainings/" + runId).statusCode() == 200);

        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpRequest events = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://localhost:" + io.restassured.RestAssured.port + "/v1/trainings/" + runId + "/events"))
                .header("X-API-Key", TRAINER_KEY).header("Accept", "text/event-stream").build();
        List<Iterator<String>> streams = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            var response = client.send(events, java.net.http.HttpResponse.BodyHandlers.ofLines());
            assertThat(response.statusCode()).isEqualTo(200);
            streams.add(response.body().iterator());
        }
        as(TRAINER_KEY).accept("text/event-stream").get("/v1/trainings/" + runId + "/events").then().statusCode(429)
                .contentType("application/problem+json").body("detail", containsString("holds 3 open event streams"));

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
            }).get(10, TimeUnit.SECONDS)).as("a heartbeat comment while nothing happens").isTrue();

            send(new TrainingCompleted(runId, "m", 20, 0.2, runId + "/step-20/checkpoint.json", "20261203-000000-s20"));
            for (Iterator<String> stream : streams) {
                List<String> rest = readers.submit(() -> {
                    List<String> lines = new ArrayList<>();
                    stream.forEachRemaining(lines::add);
                    return lines;
                }).get(10, TimeUnit.SECONDS);
                assertThat(rest).as("the stream ends with the run").contains("event:completed");
            }
        } finally {
            readers.shutdownNow();
        }
        // The places are given back when the streams end.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> as(TRAINER_KEY).accept("text/event-stream")
                .get("/v1/trainings/" + runId + "/events").then().statusCode(200));
    }

    @Test
    void errorsOfTheHttpLayerAreProblemsToo() {
        as(VIEWER_KEY).put("/v1/models").then().statusCode(405).contentType("application/problem+json")
                .body("detail", containsString("PUT is not allowed"));
        as(VIEWER_KEY).contentType("text/plain").body("hello").post("/v1/samples").then().statusCode(415)
                .contentType("application/problem+json").body("detail", containsString("text/plain"));
        as(VIEWER_KEY).get("/v1/no-such-thing").then().statusCode(404).contentType("application/problem+json");
    }

    @Test
    void requestBodiesAreBoundStrictlyWithTheFieldNamed() {
        as(VIEWER_KEY).contentType("application/json").body("{}").post("/v1/samples").then().statusCode(400)
                .contentType("application/problem+json").body("field", equalTo("model"))
                .body("detail", containsString("field 'model' is missing"));
        as(VIEWER_KEY).contentType("application/json").body("{\"model\":\"m\",\"count\":\"many\"}")
                .post("/v1/sample-jobs").then().statusCode(400).body("field", equalTo("count"));
        as(VIEWER_KEY).contentType("application/json").body("").post("/v1/samples").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("empty document"));
        as(TRAINER_KEY).contentType("application/json").body("{\"dataset\":\"d\",\"steps\":0}")
                .post("/v1/trainings").then().statusCode(400).body("field", equalTo("steps"));
        given().accept("application/json").get("/q/openapi").then().statusCode(200)
                .body("components.schemas.SamplingRequest.properties.model.type", equalTo("string"))
                .body("components.schemas.TrainingRequest.properties.dataset.type", equalTo("string"));
    }

    @Test
    void anAsynchronousJobIsServedByTheSampler() {
        GaussianModel model = publish(new GaussianModel(name("gwjob"), "v1", GaussianModel.pattern(1, 16, 1), 0.3, 1, 16));
        String jobId = as(VIEWER_KEY).contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"count\":2,\"steps\":10}").post("/v1/sample-jobs")
                .then().statusCode(202).extract().path("jobId");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                as(VIEWER_KEY).get("/v1/sample-jobs/" + jobId).then().statusCode(200).body("state", equalTo("succeeded")));
        List<String> files = as(VIEWER_KEY).get("/v1/sample-jobs/" + jobId).then().extract().path("results");
        assertThat(files).hasSize(2);
        as(VIEWER_KEY).get(files.get(1)).then().statusCode(200).contentType("image/png");
    }

    @Test
    void dataSetsAreCheckedStoredAndAnnounced() {
        String dataset = name("ds");
        byte[] png = ImageEncoding.png(GaussianModel.pattern(1, 16, 0), 1, 16);
        as(TRAINER_KEY).contentType("application/octet-stream").body(png).post("/v1/datasets/" + dataset + "?file=a.png")
                .then().statusCode(201).body("format", equalTo("png")).body("objects", equalTo(1));
        as(TRAINER_KEY).contentType("application/octet-stream").body("hello, not an image".getBytes())
                .post("/v1/datasets/" + dataset + "?file=b.txt").then().statusCode(415);
        as(TRAINER_KEY).contentType("application/octet-stream").body(png).post("/v1/datasets/..%2Fescape")
                .then().statusCode(400);
        as(TRAINER_KEY).get("/v1/datasets").then().statusCode(200).body("name", hasItem(dataset));
        DatasetUpdated updated = (DatasetUpdated) awaitEvent(Topic.DATASETS, dataset, DatasetUpdated.class::isInstance);
        assertThat(updated.origin()).isEqualTo("gateway:trainer");
        assertThat(updated.objectCount()).isEqualTo(1);
    }

    @Test
    void bodiesAreBoundedPerEndpointAndUploadsStreamWhole() throws Exception {
        String dataset = name("big");
        byte[] png = ImageEncoding.png(GaussianModel.pattern(1, 16, 0), 1, 16);
        byte[] tooLarge = java.util.Arrays.copyOf(png, 3 << 20); // a PNG's magic, then past the test's 2 MiB
        // Declared too large: refused before a byte is read.
        as(TRAINER_KEY).contentType("application/octet-stream").body(tooLarge).post("/v1/datasets/" + dataset)
                .then().statusCode(413).contentType("application/problem+json")
                .body("detail", containsString("gateway.max-upload-bytes"));
        // Chunked, so only counting on the way to S3 can stop it; nothing appears.
        HttpResponse<String> chunked = chunkedPost("/v1/datasets/" + dataset + "?file=big.png", tooLarge);
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(chunked.body()).contains("nothing was stored");
        assertThat(store.list(Buckets.DATASETS, dataset + "/")).isEmpty();
        // A chunked upload within the limit is stored whole, with its sha256.
        byte[] fits = java.util.Arrays.copyOf(png, (3 << 20) / 2);
        HttpResponse<String> stored = chunkedPost("/v1/datasets/" + dataset + "?file=fits.png", fits);
        assertThat(stored.statusCode()).as(stored.body()).isEqualTo(201);
        assertThat(store.get(Buckets.DATASETS, dataset + "/fits.png")).isEqualTo(fits);
        assertThat(store.list(Buckets.DATASETS, dataset + "/")).hasSize(1);
        assertThat(store.list(Buckets.DATASETS, ArtifactStore.STAGING_PREFIX)).isEmpty();
        // JSON bodies are small, and of known length.
        String padded = "{\"model\":\"m\",\"pad\":\"" + "x".repeat(1_100_000) + "\"}";
        as(VIEWER_KEY).contentType("application/json").body(padded).post("/v1/samples").then().statusCode(413)
                .contentType("application/problem+json").body("detail", containsString("gateway.max-json-bytes"));
        HttpResponse<String> chunkedJson = chunkedPost("/v1/samples", "{\"model\":\"m\"}".getBytes());
        assertThat(chunkedJson.statusCode()).isEqualTo(411);
    }

    private HttpResponse<String> chunkedPost(String path, byte[] body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + io.restassured.RestAssured.port
                        + path)).header("X-API-Key", TRAINER_KEY).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build();
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void trainingRunsAreRequestedAndFollowed() {
        String dataset = name("train");
        as(TRAINER_KEY).contentType("application/octet-stream").body(ImageEncoding.png(GaussianModel.pattern(1, 16, 0), 1, 16))
                .post("/v1/datasets/" + dataset + "?file=a.png").then().statusCode(201);
        as(TRAINER_KEY).contentType("application/json").body("{\"dataset\":\"missing-" + dataset + "\",\"steps\":10}")
                .post("/v1/trainings").then().statusCode(404);
        as(TRAINER_KEY).contentType("application/json").body("{\"dataset\":\"" + dataset + "\",\"steps\":0}")
                .post("/v1/trainings").then().statusCode(400).body("field", equalTo("steps"));
        // Refused whether or not the data set exists: the event itself would not take these values.
        as(TRAINER_KEY).contentType("application/json").body("{\"dataset\":\"missing-" + dataset
                + "\",\"steps\":10,\"learningRateDecay\":\"linear\"}").post("/v1/trainings").then().statusCode(400)
                .body("field", equalTo("learningRateDecay")).body("detail", containsString("none or cosine, was 'linear'"));
        as(TRAINER_KEY).contentType("application/json").body("{\"dataset\":\"" + dataset
                + "\",\"steps\":10,\"snrGamma\":-5}").post("/v1/trainings").then().statusCode(400)
                .body("field", equalTo("snrGamma"));
        as(TRAINER_KEY).contentType("application/json").body("{\"dataset\":\"" + dataset
                + "\",\"steps\":10,\"maxMinutes\":-1}").post("/v1/trainings").then().statusCode(400)
                .body("field", equalTo("maxMinutes"));
        // Upper bounds, each named with its limit.
        for (String[] bound : new String[][]{{"steps", "\"steps\":20000000", "at most 10000000"},
                {"batchSize", "\"steps\":10,\"batchSize\":5000", "at most 4096"},
                {"timesteps", "\"steps\":10,\"timesteps\":20000", "at most 10000"},
                {"checkpointEvery", "\"steps\":10,\"checkpointEvery\":0", ">= 1"},
                {"keepCheckpoints", "\"steps\":10,\"keepCheckpoints\":1001", "at most 1000"},
                {"qualityEvery", "\"steps\":10,\"qualityEvery\":-1", ">= 0"}}) {
            as(TRAINER_KEY).contentType("application/json").body("{\"dataset\":\"" + dataset + "\"," + bound[1] + "}")
                    .post("/v1/trainings").then().statusCode(400).body("field", equalTo(bound[0]))
                    .body("detail", containsString(bound[2]));
        }
        String runId = as(TRAINER_KEY).contentType("application/json")
                .body("{\"dataset\":\"" + dataset + "\",\"steps\":20,\"preset\":\"tiny\",\"batchSize\":8,"
                        + "\"learningRateDecay\":\"cosine\",\"snrGamma\":5,\"maxMinutes\":2.5,\"horizontalFlip\":true,"
                        + "\"qualityEvery\":10}")
                .post("/v1/trainings").then().statusCode(202).extract().path("runId");
        TrainingRequested requested = (TrainingRequested) awaitEvent(Topic.TRAINING_REQUESTS, runId,
                TrainingRequested.class::isInstance);
        assertThat(requested.request().steps()).isEqualTo(20);
        assertThat(requested.request().cosineDecay()).isTrue();
        assertThat(requested.request().snrGamma()).isEqualTo(5.0);
        assertThat(requested.request().maxMinutes()).isEqualTo(2.5);
        assertThat(requested.request().horizontalFlip()).isTrue();
        assertThat(requested.request().flips(1)).as("asked for, so even for one channel").isTrue();
        assertThat(requested.request().qualityEvery()).isEqualTo(10);
        assertThat(requested.requestedBy()).isEqualTo("trainer");
        as(TRAINER_KEY).get("/v1/trainings/" + runId).then().statusCode(200).body("state", equalTo("requested"));

        // What a trainer reports, the gateway shows (no trainer runs in this module's tests).
        send(new TrainingStarted(runId, dataset, dataset, "cpu()", 1000, 0, 20));
        send(new TrainingProgress(runId, 10, 20, 0.25, 100.0, 3.0,
                java.util.Map.of("quality_fld", 12.5, "quality_fld_floor", 3.0, "quality_recognisable", 0.5)));
        send(new TrainingProgress(runId, 15, 20, 0.24, 100.0, 2.0));
        // The newest measurement stays shown through the progress reports without one.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> as(TRAINER_KEY).get("/v1/trainings/" + runId).then()
                .body("state", equalTo("running")).body("step", equalTo(15)).body("loss", equalTo(0.24f))
                .body("quality.quality_fld", equalTo(12.5f)).body("qualityStep", equalTo(10)));
        send(new TrainingCompleted(runId, dataset, 20, 0.2, runId + "/step-20/checkpoint.json", "20261128-000000-s20"));
        String stream = as(TRAINER_KEY).accept("text/event-stream").get("/v1/trainings/" + runId + "/events")
                .then().statusCode(200).extract().asString();
        assertThat(stream).contains("event:completed", "\"modelVersion\":\"20261128-000000-s20\"");
        as(TRAINER_KEY).get("/v1/trainings/unknown-run").then().statusCode(404);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static RequestSpecification as(String key) {
        return given().header("X-API-Key", key);
    }

    private GaussianModel publish(GaussianModel model) {
        model.publish(store, events);
        // The sampler loads it (ModelPublished): a request succeeds once it has.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> as(VIEWER_KEY).contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"steps\":2}").post("/v1/samples").then().statusCode(200));
        return model;
    }

    private void send(EventData data) {
        events.publishAndWait(CloudEvent.of("/tests", data), Duration.ofSeconds(10));
    }

    private EventData awaitEvent(Topic topic, String key, Predicate<EventData> wanted) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(topic.topicName()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (key.equals(record.key())) {
                        EventData data = ReceivedEvent.of(record).event().data();
                        if (wanted.test(data)) {
                            return data;
                        }
                    }
                }
            }
        }
        throw new AssertionError("no matching event with key " + key + " on " + topic.topicName());
    }

    private static String name(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
