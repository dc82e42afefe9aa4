package dev.ddpm.gateway;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.EventType;
import dev.ddpm.core.events.TrainingCompleted;
import dev.ddpm.core.events.TrainingStarted;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.storage.Sha256;
import dev.ddpm.proto.gateway.v1.DdpmServiceGrpc;
import dev.ddpm.proto.gateway.v1.GetTrainingQuotaRequest;
import dev.ddpm.proto.gateway.v1.StartTrainingRequest;
import dev.ddpm.proto.gateway.v1.TrainingQuota;
import dev.ddpm.service.testing.GaussianModel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

/**
 * Each key's training quota, counted from the runs the gateway knows (the trainer's events are sent
 * here by the test, with the times it chooses) on a clock the test moves: each limit refuses the
 * request that would exceed it with the figures, and takes it again once a run ends, starts, is
 * cancelled, or its minutes leave the 24 h window.
 */
@QuarkusTest
@TestProfile(TrainingQuotaTest.SmallQuotas.class)
class TrainingQuotaTest extends GatewayTestBase {

    /**
     * Small limits, and keys whose ids are new in every run of the suite: the broker's topics (and so
     * the runs the gateway counts) outlive a run.
     */
    public static class SmallQuotas implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>();
            overrides.put("gateway.training-quota.concurrent-runs", "1");
            overrides.put("gateway.training-quota.queued-runs", "2");
            overrides.put("gateway.training-quota.minutes-per-day", "60");
            overrides.put("gateway.training-quota.max-unboxed-images", "1000");
            overrides.put("gateway.training-quota.queued-expiry", "6h");
            for (String name : Set.of("concurrent", "queued", "minutes", "unboxed", "plain", "roomy", "replay")) {
                String prefix = "gateway.auth.keys." + keyId(name) + ".";
                overrides.put(prefix + "sha256", Sha256.of(key(name).getBytes(StandardCharsets.UTF_8)));
                overrides.put(prefix + "scopes", "train");
            }
            overrides.put("gateway.auth.keys." + keyId("roomy") + ".training-minutes-per-day", "120");
            return overrides;
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(MovableClock.class);
        }
    }

    /** Read from the system properties: the profile and the test may be loaded by different class loaders. */
    static String keyId(String name) {
        return "quota-"
                + System.getProperties()
                        .computeIfAbsent(
                                "training-quota-test.key-suffix",
                                k -> UUID.randomUUID().toString().substring(0, 8))
                + "-" + name;
    }

    static String key(String name) {
        return "test-key-quota-" + name;
    }

    @Inject
    MovableClock clock;

    private String dataset;
    private final Set<String> uploaded = new HashSet<>();
    private ManagedChannel channel;

    @BeforeEach
    void datasetAndChannel() {
        dataset = name("quota");
        uploaded.clear();
        channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port)
                .usePlaintext()
                .build();
    }

    @AfterEach
    void release() throws InterruptedException {
        clock.release();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void aKeyRunsAtMostItsConcurrentRunsAndMayRequestAgainOnceOneEnds() {
        Instant t0 = clock.stop();
        String first = accepted("concurrent", "\"steps\":10,\"batchSize\":8,\"maxMinutes\":30");
        sendAt(t0, new TrainingStarted(first, dataset, dataset, "cpu()", 1000, 0, 10));
        awaitState("concurrent", first, "running");

        Response refused = start("concurrent", "\"steps\":10,\"batchSize\":8,\"maxMinutes\":10");
        assertTooMany(refused, "API key '" + keyId("concurrent") + "' has 1 of 1 concurrent runs", "concurrentRuns");
        assertThat(refused.jsonPath().getInt("limit")).isEqualTo(1);
        assertThat(refused.jsonPath().getInt("used")).isEqualTo(1);
        assertThat(refused.header("Retry-After"))
                .as("when the running run reaches its 30 minute box")
                .isEqualTo("1800");
        as(key("concurrent"))
                .get("/v1/trainings/quota")
                .then()
                .statusCode(200)
                .body("concurrentRuns.used", equalTo(1))
                .body("concurrentRuns.limit", equalTo(1));

        sendAt(t0.plusSeconds(60), new TrainingCompleted(first, dataset, 10, 0.1, first + "/c.json", "v1"));
        awaitState("concurrent", first, "completed");
        accepted("concurrent", "\"steps\":10,\"batchSize\":8,\"maxMinutes\":10");
    }

    @Test
    void queuedRunsAreCappedUntilOneIsCancelledOrPresumedLost() {
        clock.stop();
        String first = accepted("queued", "\"steps\":10,\"batchSize\":8");
        accepted("queued", "\"steps\":10,\"batchSize\":8");
        Response refused = start("queued", "\"steps\":10,\"batchSize\":8");
        assertTooMany(
                refused,
                "API key '" + keyId("queued") + "' has 2 of 2 queued runs (requested, not started)",
                "queuedRuns");
        assertThat(refused.header("Retry-After"))
                .as("no trainer's pace is known")
                .isNull();

        // A queued run asked to cancel trains nothing: its slot is free once the cancel is on the topic.
        as(key("queued")).delete("/v1/trainings/" + first).then().statusCode(202);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> start("queued", "\"steps\":10,\"batchSize\":8").statusCode() == 202);
        assertThat(start("queued", "\"steps\":10,\"batchSize\":8").statusCode()).isEqualTo(429);

        // Runs no trainer reported on for longer than the expiry (6 h here) are presumed lost.
        clock.advance(Duration.ofHours(6).plusMinutes(1));
        accepted("queued", "\"steps\":10,\"batchSize\":8");

        String metrics =
                RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).containsPattern("ddpm_gateway_training_quota_refusals_total\\{[^}]*reason=\"queuedRuns\"");
    }

    @Test
    void trainingMinutesCountWhatRanAndWhatIsCommittedUntilTheyLeaveTheWindow() {
        Instant t0 = clock.stop();
        String first = accepted("minutes", "\"steps\":10,\"batchSize\":8,\"maxMinutes\":40");
        Response refused = start("minutes", "\"steps\":10,\"batchSize\":8,\"maxMinutes\":30");
        assertTooMany(
                refused,
                "API key '" + keyId("minutes")
                        + "': 40 of 60 training minutes in the last 24 h are used or committed; this run asks for 30",
                "trainingMinutes");
        assertThat(refused.jsonPath().getDouble("limit")).isEqualTo(60.0);
        assertThat(refused.jsonPath().getDouble("used")).isEqualTo(40.0);
        assertThat(refused.jsonPath().getDouble("requested")).isEqualTo(30.0);
        assertThat(refused.header("Retry-After"))
                .as("committed minutes leave only once run")
                .isNull();

        sendAt(t0, new TrainingStarted(first, dataset, dataset, "cpu()", 1000, 0, 10));
        clock.advance(Duration.ofMinutes(40));
        sendAt(
                t0.plus(Duration.ofMinutes(40)),
                new TrainingCompleted(first, dataset, 10, 0.1, first + "/c.json", "v1"));
        awaitState("minutes", first, "completed");
        as(key("minutes"))
                .get("/v1/trainings/quota")
                .then()
                .statusCode(200)
                .body("trainingMinutes.used", equalTo(40.0f))
                .body("trainingMinutes.run", equalTo(40.0f))
                .body("trainingMinutes.committed", equalTo(0.0f));

        refused = start("minutes", "\"steps\":10,\"batchSize\":8,\"maxMinutes\":30");
        assertTooMany(
                refused,
                "40 of 60 training minutes in the last 24 h are used or committed; this run asks for 30",
                "trainingMinutes");
        // 10 of the 40 minutes run must leave the window: the first 10, 24 h after they were run.
        assertThat(refused.header("Retry-After"))
                .isEqualTo(Long.toString(
                        Duration.ofHours(24).minusMinutes(40).plusMinutes(10).toSeconds()));

        clock.advance(Duration.ofHours(23).plusMinutes(29));
        assertThat(start("minutes", "\"steps\":10,\"batchSize\":8,\"maxMinutes\":30")
                        .statusCode())
                .as("a minute early")
                .isEqualTo(429);
        clock.advance(Duration.ofMinutes(1));
        accepted("minutes", "\"steps\":10,\"batchSize\":8,\"maxMinutes\":30");
    }

    @Test
    void aRunWithoutATimeBoxMustBeSmall() {
        accepted("unboxed", "\"steps\":125,\"batchSize\":8");
        start("unboxed", "\"steps\":126,\"batchSize\":8")
                .then()
                .statusCode(400)
                .body("field", equalTo("maxMinutes"))
                .body(
                        "detail",
                        equalTo("field 'maxMinutes' is required for runs above 1000 images; this run trains 1008 (126 "
                                + "steps x 8 images)"));
        start("unboxed", "\"steps\":20")
                .then()
                .statusCode(400)
                .body(
                        "detail",
                        equalTo("field 'maxMinutes' is required for runs above 1000 images; this run trains 1280 "
                                + "(20 steps x 64 images)"));
        start("unboxed", "\"steps\":126,\"batchSize\":8,\"maxMinutes\":61")
                .then()
                .statusCode(400)
                .body("field", equalTo("maxMinutes"))
                .body(
                        "detail",
                        equalTo("field 'maxMinutes' must be at most 60 (API key '" + keyId("unboxed")
                                + "' trains at most that many minutes per 24 h), was 61"));
        accepted("unboxed", "\"steps\":126,\"batchSize\":8,\"maxMinutes\":5");
    }

    @Test
    void aKeysOwnLimitAppliesToThatKeyAlone() {
        clock.stop();
        for (String name : new String[] {"plain", "roomy"}) {
            accepted(name, "\"steps\":10,\"batchSize\":8,\"maxMinutes\":50");
        }
        assertTooMany(
                start("plain", "\"steps\":10,\"batchSize\":8,\"maxMinutes\":50"),
                "50 of 60 training minutes",
                "trainingMinutes");
        accepted("roomy", "\"steps\":10,\"batchSize\":8,\"maxMinutes\":50");
        as(key("roomy"))
                .get("/v1/trainings/quota")
                .then()
                .body("keyId", equalTo(keyId("roomy")))
                .body("trainingMinutes.limit", equalTo(120.0f))
                .body("trainingMinutes.used", equalTo(100.0f))
                .body("queuedRuns.used", equalTo(2));
    }

    @Test
    void anIdempotentReplayIsNeverRefusedAndGrpcIsRefusedAsRestIs() {
        clock.stop();
        String replayed = UUID.randomUUID().toString();
        String runId = startWith("replay", "\"steps\":10,\"batchSize\":8", replayed)
                .then()
                .statusCode(202)
                .extract()
                .path("runId");
        startWith("replay", "\"steps\":10,\"batchSize\":8", UUID.randomUUID().toString())
                .then()
                .statusCode(202);
        assertThat(startWith(
                                "replay",
                                "\"steps\":10,\"batchSize\":8",
                                UUID.randomUUID().toString())
                        .statusCode())
                .isEqualTo(429);
        startWith("replay", "\"steps\":10,\"batchSize\":8", replayed)
                .then()
                .statusCode(202)
                .header("Idempotent-Replayed", "true")
                .body("runId", equalTo(runId));

        DdpmServiceGrpc.DdpmServiceBlockingStub grpc = grpc(key("replay"));
        assertThatThrownBy(() -> grpc.startTraining(StartTrainingRequest.newBuilder()
                        .setDataset(datasetOf("replay"))
                        .setSteps(10)
                        .setBatchSize(8)
                        .build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getStatus().getDescription())
                            .isEqualTo("API key '" + keyId("replay") + "' has 2 of 2 queued runs (requested, not"
                                    + " started); a run may be requested once one of them starts or is cancelled");
                });
        TrainingQuota quota = grpc.getTrainingQuota(GetTrainingQuotaRequest.getDefaultInstance());
        assertThat(quota.getKeyId()).isEqualTo(keyId("replay"));
        assertThat(quota.getQueuedRuns().getUsed()).isEqualTo(2.0);
        assertThat(quota.getQueuedRuns().getLimit()).isEqualTo(2.0);
        assertThat(quota.getMaxUnboxedImages()).isEqualTo(1000);
    }

    private DdpmServiceGrpc.DdpmServiceBlockingStub grpc(String apiKey) {
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), apiKey);
        return DdpmServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }

    /** The data set key {@code name} trains on: its own (a key may train only on its own data sets). */
    private String datasetOf(String name) {
        String own = dataset + "-" + name;
        if (uploaded.add(own)) {
            as(key(name))
                    .contentType("application/octet-stream")
                    .body(ImageEncoding.png(GaussianModel.pattern(1, 16, 0), 1, 16))
                    .post("/v1/datasets/" + own + "?file=a.png")
                    .then()
                    .statusCode(201);
        }
        return own;
    }

    private Response start(String name, String fields) {
        return as(key(name))
                .contentType("application/json")
                .body("{\"dataset\":\"" + datasetOf(name) + "\"," + fields + "}")
                .post("/v1/trainings");
    }

    private Response startWith(String name, String fields, String idempotencyKey) {
        return as(key(name))
                .header("Idempotency-Key", idempotencyKey)
                .contentType("application/json")
                .body("{\"dataset\":\"" + datasetOf(name) + "\"," + fields + "}")
                .post("/v1/trainings");
    }

    private String accepted(String name, String fields) {
        return start(name, fields).then().statusCode(202).extract().path("runId");
    }

    private static void assertTooMany(Response refused, String detail, String quota) {
        refused.then()
                .statusCode(429)
                .contentType("application/problem+json")
                .body("title", equalTo("training quota exceeded"))
                .body("quota", equalTo(quota));
        assertThat(refused.jsonPath().getString("detail")).contains(detail);
    }

    private void awaitState(String name, String runId, String state) {
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(
                        () -> as(key(name)).get("/v1/trainings/" + runId).then().body("state", equalTo(state)));
    }

    /** Sends a trainer's event as having happened at {@code at}. */
    private void sendAt(Instant at, EventData data) {
        events.publishAndWait(
                new CloudEvent<>(
                        UUID.randomUUID().toString(),
                        "/tests",
                        EventType.of(data).type(),
                        data.partitionKey(),
                        at,
                        data),
                Duration.ofSeconds(10));
    }
}
