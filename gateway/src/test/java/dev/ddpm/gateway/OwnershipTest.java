package dev.ddpm.gateway;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.ModelAliasChanged;
import dev.ddpm.core.events.SampleJobCancelRequested;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingCancelRequested;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.lifecycle.AliasChange;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.DatasetOwner;
import dev.ddpm.core.storage.StoredObject;
import dev.ddpm.gateway.service.SampleJobView;
import dev.ddpm.proto.common.v1.GetModelRequest;
import dev.ddpm.proto.common.v1.ListModelsRequest;
import dev.ddpm.proto.common.v1.ModelInfo;
import dev.ddpm.proto.common.v1.ModelRef;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.proto.gateway.v1.DdpmServiceGrpc;
import dev.ddpm.proto.gateway.v1.GetModelAliasesRequest;
import dev.ddpm.proto.gateway.v1.GetSampleJobRequest;
import dev.ddpm.proto.gateway.v1.GetTrainingRequest;
import dev.ddpm.proto.gateway.v1.ListDatasetsRequest;
import dev.ddpm.proto.gateway.v1.SetModelSharingRequest;
import dev.ddpm.proto.gateway.v1.StartTrainingRequest;
import dev.ddpm.service.testing.GaussianModel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

/**
 * Two keys that cannot touch each other's work, and an admin who sees both, over both APIs: another
 * key's run, job, data set or model answers exactly as one that does not exist (404), a name another
 * key holds is refused where it would be created (409), lists show a key its own, and a model its
 * owner shared may be sampled and read by the keys it names, never changed or retrained by them.
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class OwnershipTest extends GatewayTestBase {

    /** Key A: id "trainer", scopes sample and train. */
    static final String A = TRAINER_KEY;
    /** Key B: id "other", scopes sample and train. */
    static final String B = ModelLifecycleApiTest.OTHER_KEY;

    static final String ADMIN = ModelLifecycleApiTest.ADMIN_KEY;

    private static final byte[] PNG = ImageEncoding.png(GaussianModel.pattern(1, 16, 0), 1, 16);

    @Inject
    SampleJobView view;

    private ManagedChannel channel;

    @BeforeEach
    void open() {
        channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port)
                .usePlaintext()
                .build();
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void dataSetsAndTrainingRunsAreTheirOwnersAloneAndTheAdminsToo() {
        String setA = upload(A, name("own-a"));
        String setB = upload(B, name("own-b"));

        // Upload into another key's data set: the name is taken, whose is not said.
        as(B).contentType("application/octet-stream")
                .body(PNG)
                .post("/v1/datasets/" + setA + "?file=mine.png")
                .then()
                .statusCode(409)
                .body("title", equalTo("data set name taken"))
                .body("detail", not(containsString("trainer")));
        assertThat(store.list(dev.ddpm.core.storage.Buckets.DATASETS, setA + "/"))
                .as("nothing stored")
                .hasSize(1);
        assertSameAsUnknown(
                () -> as(B).delete("/v1/datasets/" + setA), () -> as(B).delete("/v1/datasets/" + name("absent")));
        as(A).get("/v1/datasets").then().body("name", hasItem(setA)).body("name", not(hasItem(setB)));
        as(B).get("/v1/datasets").then().body("name", hasItem(setB)).body("name", not(hasItem(setA)));
        as(ADMIN).get("/v1/datasets").then().body("name", hasItem(setA)).body("name", hasItem(setB));

        // Training on another key's data set: as on one that does not exist.
        assertSameAsUnknown(
                () -> train(B, "{\"dataset\":\"" + setA + "\",\"steps\":20}"),
                () -> train(B, "{\"dataset\":\"" + name("absent") + "\",\"steps\":20}"));
        String runA = train(A, "{\"dataset\":\"" + setA + "\",\"steps\":20}")
                .then()
                .statusCode(202)
                .extract()
                .path("runId");
        assertThat(runA).as("48 random bits").matches(setA + "-\\d{8}-\\d{6}-[0-9a-f]{12}");
        String runB = train(B, "{\"dataset\":\"" + setB + "\",\"steps\":20}")
                .then()
                .statusCode(202)
                .extract()
                .path("runId");

        String unknownRun = name("no-run");
        for (String path : new String[] {"", "/grid.png"}) {
            assertSameAsUnknown(
                    () -> as(B).get("/v1/trainings/" + runA + path),
                    () -> as(B).get("/v1/trainings/" + unknownRun + path));
        }
        assertSameAsUnknown(
                () -> as(B).accept("text/event-stream").get("/v1/trainings/" + runA + "/events"),
                () -> as(B).accept("text/event-stream").get("/v1/trainings/" + unknownRun + "/events"));
        assertSameAsUnknown(
                () -> as(B).delete("/v1/trainings/" + runA), () -> as(B).delete("/v1/trainings/" + unknownRun));
        assertThat(eventsWithKey(Topic.TRAINING_REQUESTS, runA))
                .as("no cancel sent for another key's run")
                .noneMatch(TrainingCancelRequested.class::isInstance);
        // Resuming from another key's run: as from one that does not exist (checked here, not at the trainer).
        assertSameAsUnknown(
                () -> train(B, "{\"dataset\":\"" + setB + "\",\"steps\":40,\"resumeFrom\":\"" + runA + "\"}"),
                () -> train(B, "{\"dataset\":\"" + setB + "\",\"steps\":40,\"resumeFrom\":\"" + unknownRun + "\"}"));
        train(B, "{\"dataset\":\"" + setB + "\",\"steps\":40,\"resumeFrom\":\"" + unknownRun + "\"}")
                .then()
                .body("field", equalTo("resumeFrom"));
        train(A, "{\"dataset\":\"" + setA + "\",\"steps\":40,\"resumeFrom\":\"" + runA + "\"}")
                .then()
                .statusCode(202);
        // An admin may name a run the gateway has not heard of (one the command line started): the trainer,
        // not the gateway (whose S3 identity may not list checkpoints), finds whether it has a checkpoint.
        train(ADMIN, "{\"dataset\":\"" + setA + "\",\"steps\":40,\"resumeFrom\":\"" + unknownRun + "\"}")
                .then()
                .statusCode(202);

        as(A).get("/v1/trainings").then().body("runId", hasItem(runA)).body("runId", not(hasItem(runB)));
        as(B).get("/v1/trainings").then().body("runId", hasItem(runB)).body("runId", not(hasItem(runA)));
        as(ADMIN).get("/v1/trainings").then().body("runId", hasItem(runA)).body("runId", hasItem(runB));
        as(ADMIN).get("/v1/trainings/" + runA).then().statusCode(200).body("requestedBy", equalTo("trainer"));
        as(A).get("/v1/trainings/" + runA).then().statusCode(200);

        // The gRPC twins.
        assertCode(
                () -> grpc(B).getTraining(
                                GetTrainingRequest.newBuilder().setRunId(runA).build()),
                Status.Code.NOT_FOUND);
        assertCode(
                () -> grpc(B).cancelTraining(
                                GetTrainingRequest.newBuilder().setRunId(runA).build()),
                Status.Code.NOT_FOUND);
        assertCode(
                () -> grpc(B).watchTraining(
                                GetTrainingRequest.newBuilder().setRunId(runA).build())
                        .hasNext(),
                Status.Code.NOT_FOUND);
        assertCode(
                () -> grpc(B).startTraining(StartTrainingRequest.newBuilder()
                        .setDataset(setA)
                        .setSteps(20)
                        .build()),
                Status.Code.NOT_FOUND);
        assertThat(grpc(B).listDatasets(ListDatasetsRequest.getDefaultInstance())
                        .getDatasetsList())
                .extracting(dev.ddpm.proto.gateway.v1.Dataset::getName)
                .contains(setB)
                .doesNotContain(setA);
        assertThat(grpc(A).getTraining(
                                GetTrainingRequest.newBuilder().setRunId(runA).build())
                        .getRequestedBy())
                .isEqualTo("trainer");
    }

    @Test
    void aNewDataSetsNameIsClaimedBeforeItsFirstUploadStreams() throws Exception {
        ScheduledExecutorService pump = Executors.newSingleThreadScheduledExecutor();
        try {
            // A's long upload holds the name while its bytes are on their way: B's short one, done first, is refused.
            String contested = name("race");
            try (RawUpload held = heldUpload(pump, A, contested, "long.png")) {
                assertThat(DatasetOwner.of(store, contested)).contains("trainer");
                as(B).contentType("application/octet-stream")
                        .body(PNG)
                        .post("/v1/datasets/" + contested + "?file=short.png")
                        .then()
                        .statusCode(409)
                        .body("title", equalTo("data set name taken"));
                assertThat(finish(held).status()).isEqualTo(201);
            }
            assertThat(store.list(Buckets.DATASETS, contested + "/"))
                    .extracting(StoredObject::key)
                    .containsExactly(contested + "/long.png");
            assertThat(DatasetOwner.of(store, contested)).contains("trainer");

            // A's claim gone while it streams (released by a failed upload of A's, say) and the name taken by B:
            // A's upload, once stored, is refused and removed rather than left in B's data set.
            String lost = name("lost");
            try (RawUpload held = heldUpload(pump, A, lost, "long.png")) {
                store.delete(Buckets.DATASETS, DatasetOwner.key(lost));
                upload(B, lost);
                RawUpload.Answer answer = finish(held);
                assertThat(answer.status()).isEqualTo(409);
                assertThat(answer.body()).contains("data set name taken");
            }
            assertThat(store.list(Buckets.DATASETS, lost + "/"))
                    .extracting(StoredObject::key)
                    .containsExactly(lost + "/a.png");
            assertThat(DatasetOwner.of(store, lost)).contains("other");
        } finally {
            pump.shutdownNow();
        }

        // A first upload that fails with nothing stored leaves the name free for any key.
        String refused = name("refused");
        as(A).contentType("application/octet-stream")
                .body("hello, not an image".getBytes())
                .post("/v1/datasets/" + refused + "?file=a.png")
                .then()
                .statusCode(415);
        assertThat(DatasetOwner.of(store, refused)).isEmpty();
        upload(B, refused);
        assertThat(DatasetOwner.of(store, refused)).contains("other");
    }

    @Test
    void aModelIsSeenByItsOwnerAndThoseItIsSharedWithAndChangedOnlyByItsOwner() {
        GaussianModel model = new GaussianModel(name("owned"), "v1", GaussianModel.pattern(1, 16, 1), 0.3, 1, 16);
        model.publish(store, events);
        new ModelLifecycle(
                        store,
                        e -> events.publishAndWait(CloudEvent.of("/tests", e), Duration.ofSeconds(10)),
                        Clock.systemUTC())
                .published(model.name(), "v1", "trainer", "trainer");
        String m = model.name();
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> sample(A, m).then().statusCode(200));
        String absent = name("absent");

        // Not shared: every read, every change and every way of sampling answers as for no model.
        for (String path : new String[] {"", "/versions/v1", "/versions/v1/samples.png", "/aliases", "/history"}) {
            assertSameAsUnknown(
                    () -> as(B).get("/v1/models/" + m + path), () -> as(B).get("/v1/models/" + absent + path));
        }
        Map<String, String> changes = Map.of(
                "/promote", "{\"version\":\"v1\"}",
                "/rollback", "{}",
                "/canary", "{\"version\":\"v1\",\"percent\":10}",
                "/policy", "{\"promotion\":\"manual\"}",
                "/sharing", "{\"public\":true}");
        changes.forEach((path, body) ->
                assertSameAsUnknown(() -> change(B, m, path, body), () -> change(B, absent, path, body)));
        assertSameAsUnknown(
                () -> as(B).delete("/v1/models/" + m + "/versions/v1"),
                () -> as(B).delete("/v1/models/" + absent + "/versions/v1"));
        assertSameAsUnknown(() -> sample(B, m), () -> sample(B, absent));
        assertSameAsUnknown(() -> job(B, m), () -> job(B, absent));
        assertThat(sse(B, m)).contains("event:error", "\"status\":404", "no published model '" + m + "'");
        assertCode(() -> grpc(B).sample(params(m)).hasNext(), Status.Code.NOT_FOUND);
        assertCode(() -> grpc(B).getModel(modelRequest(m)), Status.Code.NOT_FOUND);
        as(B).get("/v1/models").then().body("name", not(hasItem(m)));
        as(A).get("/v1/models").then().body("find { it.name == '" + m + "' }.shared", equalTo(false));
        as(ADMIN).get("/v1/models").then().body("name", hasItem(m));
        as(ADMIN).get("/v1/models/" + m).then().statusCode(200);

        // The name is A's: B may not train under it (nor learn whose it is); A may.
        String setB = upload(B, name("share-b"));
        train(B, "{\"dataset\":\"" + setB + "\",\"modelName\":\"" + m + "\",\"steps\":20}")
                .then()
                .statusCode(409)
                .body("title", equalTo("model name taken"))
                .body("field", equalTo("modelName"))
                .body("detail", not(containsString("trainer")));
        String setA = upload(A, name("share-a"));
        train(A, "{\"dataset\":\"" + setA + "\",\"modelName\":\"" + m + "\",\"steps\":20}")
                .then()
                .statusCode(202);

        // Shared with B: B samples it and reads its description, but changes and retrains nothing.
        change(A, m, "/sharing", "{\"keys\":[\"other\"]}")
                .then()
                .statusCode(200)
                .body("sharing.keys", equalTo(List.of("other")))
                .body("sharing.public", equalTo(false));
        ModelAliasChanged announced = (ModelAliasChanged) awaitEvent(
                Topic.MODELS,
                m,
                e -> e instanceof ModelAliasChanged c && c.change().action() == AliasChange.Action.SHARING);
        assertThat(announced.change().reason()).isEqualTo("shared with other");
        // B reads the history, but neither whom the model is shared with nor who changed that, over both APIs.
        String sharingChanges = "history.findAll { it.action == 'sharing' }";
        as(B).get("/v1/models/" + m + "/history")
                .then()
                .statusCode(200)
                .body(sharingChanges + ".size()", equalTo(1))
                .body(sharingChanges + ".reason", everyItem(nullValue()))
                .body(sharingChanges + ".actor", everyItem(equalTo(ModelAliases.HIDDEN_ACTOR)));
        assertThat(grpc(B).getModelAliases(
                                GetModelAliasesRequest.newBuilder().setModel(m).build())
                        .getHistoryList())
                .filteredOn(change -> change.getAction().equals("sharing"))
                .singleElement()
                .satisfies(change -> {
                    assertThat(change.getReason()).isEmpty();
                    assertThat(change.getActor()).isEqualTo(ModelAliases.HIDDEN_ACTOR);
                });
        as(A).get("/v1/models/" + m + "/history")
                .then()
                .body(sharingChanges + ".reason", hasItem("shared with other"))
                .body(sharingChanges + ".actor", hasItem("trainer"));
        sample(B, m).then().statusCode(200);
        job(B, m).then().statusCode(202);
        assertThat(sse(B, m)).contains("event:result").doesNotContain("event:error");
        as(B).get("/v1/models/" + m).then().statusCode(200).body("version", equalTo("v1"));
        as(B).get("/v1/models/" + m + "/aliases")
                .then()
                .statusCode(200)
                .body("shared", equalTo(true))
                .body("sharing", nullValue());
        as(B).get("/v1/models").then().body("find { it.name == '" + m + "' }.shared", equalTo(true));
        assertThat(grpc(B).listModels(ListModelsRequest.getDefaultInstance()).getModelsList())
                .filteredOn(info -> info.getName().equals(m))
                .singleElement()
                .extracting(ModelInfo::getShared)
                .isEqualTo(true);
        assertThat(grpc(B).sample(params(m)).hasNext()).isTrue();
        changes.forEach((path, body) -> change(B, m, path, body)
                .then()
                .statusCode(403)
                .body("detail", containsString("may sample model '" + m + "'")));
        assertCode(
                () -> grpc(B).setModelSharing(SetModelSharingRequest.newBuilder()
                        .setModel(m)
                        .setPublic(true)
                        .build()),
                Status.Code.PERMISSION_DENIED);
        train(B, "{\"dataset\":\"" + setB + "\",\"modelName\":\"" + m + "\",\"steps\":20}")
                .then()
                .statusCode(409);
        assertSameAsUnknown(() -> sample(VIEWER_KEY, m), () -> sample(VIEWER_KEY, absent));

        // Public: any key samples it.
        change(A, m, "/sharing", "{\"public\":true}").then().statusCode(200);
        sample(VIEWER_KEY, m).then().statusCode(200);

        // Unshared (over gRPC): gone for B at once, as if it did not exist.
        assertThat(grpc(A).setModelSharing(
                                SetModelSharingRequest.newBuilder().setModel(m).build())
                        .getSharedWithList())
                .isEmpty();
        assertSameAsUnknown(() -> sample(B, m), () -> sample(B, absent));
        assertCode(() -> grpc(B).getModel(modelRequest(m)), Status.Code.NOT_FOUND);
        as(B).get("/v1/models").then().body("name", not(hasItem(m)));
        as(B).get("/v1/models/" + m + "/history").then().statusCode(404);
        as(A).get("/v1/models/" + m + "/history")
                .then()
                .body("history.action", hasItem("sharing"))
                .body("history.findAll { it.action == 'sharing' }.size()", equalTo(3));
    }

    @Test
    void aSampleJobIsItsSubmittersAndAnotherKeysCancelSendsNothing() {
        GaussianModel model =
                publish(new GaussianModel(name("ownjob"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        String jobA = job(A, model.name()).then().statusCode(202).extract().path("jobId");
        String unknownJob = "job-" + java.util.UUID.randomUUID();

        assertSameAsUnknown(
                () -> as(B).get("/v1/sample-jobs/" + jobA), () -> as(B).get("/v1/sample-jobs/" + unknownJob));
        assertSameAsUnknown(
                () -> as(B).get("/v1/sample-jobs/" + jobA + "/files/image-0.png"),
                () -> as(B).get("/v1/sample-jobs/" + unknownJob + "/files/image-0.png"));
        assertSameAsUnknown(
                () -> as(B).delete("/v1/sample-jobs/" + jobA), () -> as(B).delete("/v1/sample-jobs/" + unknownJob));
        assertCode(
                () -> grpc(B).cancelSampleJob(
                                GetSampleJobRequest.newBuilder().setJobId(jobA).build()),
                Status.Code.NOT_FOUND);
        assertCode(
                () -> grpc(B).getSampleJob(
                                GetSampleJobRequest.newBuilder().setJobId(jobA).build()),
                Status.Code.NOT_FOUND);
        // A's job still queued (as the view knows one submitted through another replica): B's cancel is
        // refused as for an unknown job and sends nothing, A's is sent. Each answer came after anything it
        // sent was on the topic: read to its end, the topic shows what was sent.
        String queuedA = "job-" + java.util.UUID.randomUUID();
        view.requested(queuedA, model.name(), "trainer");
        assertSameAsUnknown(
                () -> as(B).delete("/v1/sample-jobs/" + queuedA), () -> as(B).delete("/v1/sample-jobs/" + unknownJob));
        assertThat(eventsWithKey(Topic.SAMPLE_JOBS, queuedA)).isEmpty();
        assertThat(eventsWithKey(Topic.SAMPLE_JOBS, jobA)).noneMatch(SampleJobCancelRequested.class::isInstance);
        assertThat(eventsWithKey(Topic.SAMPLE_JOBS, unknownJob)).isEmpty();
        as(A).delete("/v1/sample-jobs/" + queuedA).then().statusCode(202);
        assertThat(eventsWithKey(Topic.SAMPLE_JOBS, queuedA))
                .singleElement()
                .isInstanceOf(SampleJobCancelRequested.class);

        as(A).get("/v1/sample-jobs/" + jobA).then().statusCode(200).body("requestedBy", equalTo("trainer"));
        as(ADMIN).get("/v1/sample-jobs/" + jobA).then().statusCode(200);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /**
     * A first upload to {@code dataset} that stays open, fed 1 KiB every 100 ms (well above the gateway's
     * least rate) until {@link #finish}, returned once the gateway has started on it (its owner record exists).
     */
    private RawUpload heldUpload(ScheduledExecutorService pump, String key, String dataset, String file)
            throws Exception {
        RawUpload upload = new RawUpload(RestAssured.port, "/v1/datasets/" + dataset + "?file=" + file, key, 100_000);
        upload.send(PNG);
        pump.scheduleWithFixedDelay(() -> upload.send(new byte[1024]), 100, 100, TimeUnit.MILLISECONDS);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> DatasetOwner.of(store, dataset).isPresent());
        return upload;
    }

    /** Sends the rest of a held upload at once and returns the gateway's answer. */
    private static RawUpload.Answer finish(RawUpload upload) throws Exception {
        upload.finish((byte) 0);
        return upload.answer().get(30, TimeUnit.SECONDS);
    }

    /**
     * The refusal of what another key owns reads exactly as the answer for what does not exist: status,
     * title and detail, once each names its own id.
     */
    private static void assertSameAsUnknown(Supplier<Response> foreign, Supplier<Response> unknown) {
        Response f = foreign.get();
        Response u = unknown.get();
        assertThat(f.statusCode()).as("status").isEqualTo(u.statusCode()).isEqualTo(404);
        assertThat(f.contentType()).startsWith("application/problem+json");
        assertThat((String) f.path("title")).isEqualTo(u.path("title"));
        assertThat(shape(f.path("detail"))).isEqualTo(shape(u.path("detail")));
        assertThat((String) f.path("field")).isEqualTo(u.path("field"));
    }

    /** A detail with the names it quotes taken out. */
    private static String shape(String detail) {
        return detail.replaceAll("'[^']*'", "'…'").replaceAll("/v1/datasets/\\S+\\)", "/v1/datasets/…)");
    }

    private String upload(String key, String dataset) {
        as(key).contentType("application/octet-stream")
                .body(PNG)
                .post("/v1/datasets/" + dataset + "?file=a.png")
                .then()
                .statusCode(201);
        return dataset;
    }

    private static Response train(String key, String body) {
        return as(key).contentType("application/json").body(body).post("/v1/trainings");
    }

    private static Response sample(String key, String model) {
        return as(key).contentType("application/json")
                .body("{\"model\":\"" + model + "\",\"steps\":2}")
                .post("/v1/samples");
    }

    private static Response job(String key, String model) {
        return as(key).contentType("application/json")
                .body("{\"model\":\"" + model + "\",\"steps\":2}")
                .post("/v1/sample-jobs");
    }

    private static String sse(String key, String model) {
        return as(key).accept("text/event-stream")
                .contentType("application/json")
                .body("{\"model\":\"" + model + "\",\"steps\":2}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .extract()
                .asString();
    }

    private static Response change(String key, String model, String path, String body) {
        var request = as(key).contentType("application/json").body(body);
        return path.equals("/canary") || path.equals("/policy") || path.equals("/sharing")
                ? request.put("/v1/models/" + model + path)
                : request.post("/v1/models/" + model + path);
    }

    private static SampleParams params(String model) {
        return SampleParams.newBuilder()
                .setModel(ModelRef.newBuilder().setName(model))
                .setSteps(2)
                .build();
    }

    private static GetModelRequest modelRequest(String model) {
        return GetModelRequest.newBuilder()
                .setModel(ModelRef.newBuilder().setName(model))
                .build();
    }

    private DdpmServiceGrpc.DdpmServiceBlockingStub grpc(String key) {
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), key);
        return DdpmServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }

    private static void assertCode(Runnable call, Status.Code code) {
        assertThatThrownBy(call::run)
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(
                        e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
                                .isEqualTo(code));
    }

    /** Every event with {@code key} on the topic now: read from its start to the end it has at this call. */
    private List<EventData> eventsWithKey(Topic topic, String key) {
        List<EventData> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + java.util.UUID.randomUUID()))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.topicName()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                assertThat(System.nanoTime()).as("read to the end in time").isLessThan(deadline);
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(record.key())) {
                        found.add(ReceivedEvent.of(record).event().data());
                    }
                }
            }
        }
        return found;
    }
}
