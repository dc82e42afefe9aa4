package dev.ddpm.gateway;

import com.google.protobuf.ByteString;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.lifecycle.ModelAliasStore;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.proto.common.v1.GetModelRequest;
import dev.ddpm.proto.common.v1.ModelRef;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.proto.common.v1.Sampler;
import dev.ddpm.proto.common.v1.Spacing;
import dev.ddpm.proto.gateway.v1.AliasChange;
import dev.ddpm.proto.gateway.v1.Dataset;
import dev.ddpm.proto.gateway.v1.DatasetChunk;
import dev.ddpm.proto.gateway.v1.DdpmServiceGrpc;
import dev.ddpm.proto.gateway.v1.DeleteDatasetRequest;
import dev.ddpm.proto.gateway.v1.DeleteModelVersionRequest;
import dev.ddpm.proto.gateway.v1.GetModelAliasesRequest;
import dev.ddpm.proto.gateway.v1.GetTrainingRequest;
import dev.ddpm.proto.gateway.v1.ListDatasetsRequest;
import dev.ddpm.proto.gateway.v1.ModelAliases;
import dev.ddpm.proto.gateway.v1.PromoteModelRequest;
import dev.ddpm.proto.gateway.v1.Promotion;
import dev.ddpm.proto.gateway.v1.RollbackModelRequest;
import dev.ddpm.proto.gateway.v1.SampleJob;
import dev.ddpm.proto.gateway.v1.SetCanaryRequest;
import dev.ddpm.proto.gateway.v1.SetModelPolicyRequest;
import dev.ddpm.proto.gateway.v1.SetModelSharingRequest;
import dev.ddpm.proto.gateway.v1.StartTrainingRequest;
import dev.ddpm.proto.gateway.v1.TrainingRun;
import dev.ddpm.service.grpc.GrpcProblems;
import dev.ddpm.service.testing.GaussianModel;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The public gRPC service: the HTTP API's keys, scopes and validation, and its operations end to end,
 * the model lifecycle's included.
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class GatewayGrpcTest {

    @Inject
    ArtifactStore store;

    @Inject
    EventPublisher events;

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

    private DdpmServiceGrpc.DdpmServiceBlockingStub as(String key) {
        Metadata metadata = new Metadata();
        if (key != null) {
            metadata.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), key);
        }
        return DdpmServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }

    @Test
    void keysScopesAndValidationAsOverHttp() {
        assertCode(() -> as(null).getModel(GetModelRequest.getDefaultInstance()), Status.Code.UNAUTHENTICATED);
        assertCode(
                () -> as(GatewayTestBase.VIEWER_KEY)
                        .startTraining(StartTrainingRequest.newBuilder()
                                .setDataset("x")
                                .setSteps(5)
                                .build()),
                Status.Code.PERMISSION_DENIED);
        StatusRuntimeException invalid = assertCode(
                () -> first(as(GatewayTestBase.VIEWER_KEY)
                        .sample(SampleParams.newBuilder()
                                .setModel(ModelRef.newBuilder().setName("m"))
                                .setCount(1000)
                                .build())),
                Status.Code.INVALID_ARGUMENT);
        assertThat(invalid.getStatus().getDescription()).startsWith("count");
        assertThat(invalid.getTrailers().get(GrpcProblems.FIELD)).isEqualTo("count");
        assertCode(
                () -> as(GatewayTestBase.VIEWER_KEY)
                        .getModel(GetModelRequest.newBuilder()
                                .setModel(ModelRef.newBuilder().setName("../x"))
                                .build()),
                Status.Code.INVALID_ARGUMENT);
        assertCode(
                () -> as(GatewayTestBase.VIEWER_KEY)
                        .getModel(GetModelRequest.newBuilder()
                                .setModel(ModelRef.newBuilder().setName("no-such-model"))
                                .build()),
                Status.Code.NOT_FOUND);
    }

    @Test
    void samplingStreamsThroughTheGatewayFromTheSampler() {
        GaussianModel model = new GaussianModel(
                "grpc-" + UUID.randomUUID().toString().substring(0, 8),
                "v1",
                GaussianModel.pattern(1, 16, 2),
                0.3,
                1,
                16);
        GatewayTestBase.publishForEveryKey(model, store, events);
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> given().header("X-API-Key", GatewayTestBase.VIEWER_KEY)
                        .contentType("application/json")
                        .body("{\"model\":\"" + model.name() + "\",\"steps\":2}")
                        .post("/v1/samples")
                        .then()
                        .statusCode(200));
        Iterator<SampleEvent> stream = as(GatewayTestBase.VIEWER_KEY)
                .sample(SampleParams.newBuilder()
                        .setModel(ModelRef.newBuilder().setName(model.name()))
                        .setCount(2)
                        .setSampler(Sampler.SAMPLER_DDIM)
                        .setSteps(10)
                        .setPreviewEvery(5)
                        .build());
        int progress = 0;
        int previews = 0;
        SampleEvent last = null;
        while (stream.hasNext()) {
            last = stream.next();
            progress += last.hasProgress() ? 1 : 0;
            previews += last.hasPreview() ? 1 : 0;
        }
        assertThat(progress).isGreaterThanOrEqualTo(10);
        assertThat(previews).isEqualTo(2);
        assertThat(last.getResult().getModel().getVersion()).isEqualTo("v1");
        assertThat(last.getResult().getImagesCount()).isEqualTo(2);
        assertThat(as(GatewayTestBase.VIEWER_KEY)
                        .getModel(GetModelRequest.newBuilder()
                                .setModel(ModelRef.newBuilder().setName(model.name()))
                                .build())
                        .getWidth())
                .isEqualTo(16);

        // Steps beyond the model's T: the sampler refuses, its field trailer reaches the public client.
        StatusRuntimeException tooMany = assertCode(
                () -> first(as(GatewayTestBase.VIEWER_KEY)
                        .sample(SampleParams.newBuilder()
                                .setModel(ModelRef.newBuilder().setName(model.name()))
                                .setSteps(5000)
                                .build())),
                Status.Code.INVALID_ARGUMENT);
        assertThat(tooMany.getTrailers().get(GrpcProblems.FIELD)).isEqualTo("steps");

        // A public gRPC request for Heun over Karras sigmas: 2 x 4 - 1 network calls.
        Iterator<SampleEvent> heun = as(GatewayTestBase.VIEWER_KEY)
                .sample(SampleParams.newBuilder()
                        .setModel(ModelRef.newBuilder().setName(model.name()))
                        .setCount(1)
                        .setSampler(Sampler.SAMPLER_HEUN)
                        .setSpacing(Spacing.SPACING_KARRAS)
                        .setSteps(4)
                        .build());
        int total = 0;
        SampleEvent end = null;
        while (heun.hasNext()) {
            end = heun.next();
            total = end.hasProgress() ? end.getProgress().getTotalSteps() : total;
        }
        assertThat(total).isEqualTo(7);
        assertThat(end.getResult().getImagesCount()).isEqualTo(1);

        // A stochastic sampler with dynamic thresholding is served; a sampler number the contract lacks is
        // refused naming the field, not served by the default sampler.
        Iterator<SampleEvent> ancestral = as(GatewayTestBase.VIEWER_KEY)
                .sample(SampleParams.newBuilder()
                        .setModel(ModelRef.newBuilder().setName(model.name()))
                        .setSampler(Sampler.SAMPLER_EULER_ANCESTRAL)
                        .setSteps(6)
                        .setThreshold(0.995)
                        .build());
        SampleEvent served = null;
        while (ancestral.hasNext()) {
            served = ancestral.next();
        }
        assertThat(served.getResult().getImagesCount()).isEqualTo(1);
        StatusRuntimeException unknown = assertCode(
                () -> first(as(GatewayTestBase.VIEWER_KEY)
                        .sample(SampleParams.newBuilder()
                                .setModel(ModelRef.newBuilder().setName(model.name()))
                                .setSamplerValue(99)
                                .build())),
                Status.Code.INVALID_ARGUMENT);
        assertThat(unknown.getTrailers().get(GrpcProblems.FIELD)).isEqualTo("sampler");
        assertThat(unknown.getStatus().getDescription()).contains("SAMPLER_EULER_ANCESTRAL", "was 99");
    }

    @Test
    void aCancelledPublicCallCancelsItsWorkOnTheSampler() {
        GaussianModel model = new GaussianModel(
                "grpc-cancel-" + UUID.randomUUID().toString().substring(0, 8),
                "v1",
                GaussianModel.pattern(3, 64, 0),
                0.3,
                3,
                64);
        GatewayTestBase.publishForEveryKey(model, store, events);
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> given().header("X-API-Key", GatewayTestBase.VIEWER_KEY)
                        .contentType("application/json")
                        .body("{\"model\":\"" + model.name() + "\",\"steps\":2}")
                        .post("/v1/samples")
                        .then()
                        .statusCode(200));
        Context.CancellableContext call = Context.current().withCancellation();
        call.run(() -> {
            Iterator<SampleEvent> stream = as(GatewayTestBase.VIEWER_KEY)
                    .sample(SampleParams.newBuilder()
                            .setModel(ModelRef.newBuilder().setName(model.name()))
                            .setCount(8)
                            .setSampler(Sampler.SAMPLER_DDPM)
                            .build());
            while (stream.hasNext() && !(stream.next().getProgress().getStep() > 0)) {
                // until the sampler has taken a step
            }
        });
        assertThat(GatewayTestBase.samplerBacklog()).isPositive();
        call.cancel(null);
        await().atMost(Duration.ofSeconds(10)).until(() -> GatewayTestBase.samplerBacklog() == 0);
    }

    @Test
    void uploadingThenTrainingOverGrpc() throws Exception {
        String dataset = "grpc-ds-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] png = ImageEncoding.png(GaussianModel.pattern(1, 16, 0), 1, 16);
        CompletableFuture<Dataset> done = new CompletableFuture<>();
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), GatewayTestBase.TRAINER_KEY);
        StreamObserver<DatasetChunk> upload = DdpmServiceGrpc.newStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                .uploadDataset(new StreamObserver<>() {
                    public void onNext(Dataset value) {
                        done.complete(value);
                    }

                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    public void onCompleted() {}
                });
        upload.onNext(DatasetChunk.newBuilder()
                .setName(dataset)
                .setFormat("png")
                .setFileName("a.png")
                .setData(ByteString.copyFrom(png, 0, 100))
                .build());
        upload.onNext(DatasetChunk.newBuilder()
                .setData(ByteString.copyFrom(png, 100, png.length - 100))
                .build());
        upload.onCompleted();
        Dataset stored = done.get(30, TimeUnit.SECONDS);
        assertThat(stored.getObjects()).isEqualTo(1);
        assertThat(stored.getBytes()).isEqualTo(png.length);
        assertThat(as(GatewayTestBase.TRAINER_KEY)
                        .listDatasets(ListDatasetsRequest.getDefaultInstance())
                        .getDatasetsList())
                .extracting(Dataset::getName)
                .contains(dataset);

        // Past gateway.max-upload-bytes (2 MiB in tests), counted chunk by chunk: refused, nothing stored.
        CompletableFuture<Dataset> refused = new CompletableFuture<>();
        StreamObserver<DatasetChunk> large = DdpmServiceGrpc.newStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                .uploadDataset(new StreamObserver<>() {
                    public void onNext(Dataset value) {
                        refused.complete(value);
                    }

                    public void onError(Throwable t) {
                        refused.completeExceptionally(t);
                    }

                    public void onCompleted() {}
                });
        byte[] megabyte = Arrays.copyOf(png, 1 << 20);
        large.onNext(DatasetChunk.newBuilder()
                .setName(dataset)
                .setFileName("large.png")
                .setData(ByteString.copyFrom(megabyte))
                .build());
        for (int i = 0; i < 2; i++) {
            large.onNext(DatasetChunk.newBuilder()
                    .setData(ByteString.copyFrom(new byte[1 << 20]))
                    .build());
        }
        large.onCompleted();
        assertThatThrownBy(() -> refused.get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(StatusRuntimeException.class)
                .cause()
                .satisfies(e -> {
                    assertThat(((StatusRuntimeException) e).getStatus().getCode())
                            .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getMessage()).contains("gateway.max-upload-bytes");
                });
        assertThat(as(GatewayTestBase.TRAINER_KEY)
                        .listDatasets(ListDatasetsRequest.getDefaultInstance())
                        .getDatasetsList())
                .filteredOn(d -> d.getName().equals(dataset))
                .singleElement()
                .satisfies(d -> assertThat(d.getObjects()).isEqualTo(1));

        TrainingRun run = as(GatewayTestBase.TRAINER_KEY)
                .startTraining(StartTrainingRequest.newBuilder()
                        .setDataset(dataset)
                        .setSteps(10)
                        .setPreset("tiny")
                        .build());
        assertThat(run.getState()).isEqualTo(TrainingRun.State.STATE_REQUESTED);
        assertThat(as(GatewayTestBase.TRAINER_KEY)
                        .getTraining(GetTrainingRequest.newBuilder()
                                .setRunId(run.getRunId())
                                .build())
                        .getRunId())
                .isEqualTo(run.getRunId());
        assertCode(
                () -> as(GatewayTestBase.TRAINER_KEY)
                        .startTraining(StartTrainingRequest.newBuilder()
                                .setDataset("missing-" + dataset)
                                .setSteps(10)
                                .build()),
                Status.Code.NOT_FOUND);
        assertCode(
                () -> as(GatewayTestBase.TRAINER_KEY)
                        .startTraining(StartTrainingRequest.newBuilder()
                                .setDataset(dataset)
                                .setSteps(10)
                                .setMaxMinutes(-3)
                                .build()),
                Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void theModelLifecycleWithTheHttpApisChecksAndStatusCodes() {
        String model = ModelLifecycleApiTest.modelWithCandidate(
                store, "grpc-life-" + UUID.randomUUID().toString().substring(0, 8), "trainer");
        ModelAliases before = as(GatewayTestBase.TRAINER_KEY)
                .getModelAliases(
                        GetModelAliasesRequest.newBuilder().setModel(model).build());
        assertThat(before.getAliasesMap()).containsEntry("production", "v1").containsEntry("candidate", "v2");
        assertThat(before.getOwner()).isEqualTo("trainer");
        assertThat(before.getHistoryList())
                .extracting(AliasChange::getAction)
                .containsExactly("published", "published");

        PromoteModelRequest promote = PromoteModelRequest.newBuilder()
                .setModel(model)
                .setVersion("v2")
                .build();
        assertCode(() -> as(GatewayTestBase.VIEWER_KEY).promoteModel(promote), Status.Code.PERMISSION_DENIED);
        assertCode(
                () -> as(GatewayTestBase.VIEWER_KEY)
                        .setModelSharing(SetModelSharingRequest.newBuilder()
                                .setModel(model)
                                .setPublic(true)
                                .build()),
                Status.Code.PERMISSION_DENIED);
        StatusRuntimeException notOwner =
                assertCode(() -> as(ModelLifecycleApiTest.OTHER_KEY).promoteModel(promote), Status.Code.NOT_FOUND);
        assertThat(notOwner.getStatus().getDescription()).contains("no published model '" + model + "'");
        ModelAliases promoted = as(GatewayTestBase.TRAINER_KEY).promoteModel(promote);
        assertThat(promoted.getAliasesMap()).containsEntry("production", "v2").doesNotContainKey("candidate");
        assertThat(new ModelAliasStore(store).read(model).orElseThrow().production())
                .contains("v2");

        assertCode(
                () -> as(GatewayTestBase.TRAINER_KEY)
                        .deleteModelVersion(DeleteModelVersionRequest.newBuilder()
                                .setModel(model)
                                .setVersion("v2")
                                .build()),
                Status.Code.FAILED_PRECONDITION);
        assertThat(store.exists(Buckets.MODELS, model + "/v2/manifest.json")).isTrue();

        ModelAliases rolledBack = as(GatewayTestBase.TRAINER_KEY)
                .rollbackModel(RollbackModelRequest.newBuilder()
                        .setModel(model)
                        .setReason("regression")
                        .build());
        assertThat(rolledBack.getAliasesMap()).containsEntry("production", "v1");
        assertThat(rolledBack.getHistory(rolledBack.getHistoryCount() - 1).getReason())
                .isEqualTo("regression");

        ModelAliases canary = as(GatewayTestBase.TRAINER_KEY)
                .setCanary(SetCanaryRequest.newBuilder()
                        .setModel(model)
                        .setVersion("v2")
                        .setPercent(20)
                        .build());
        assertThat(canary.getCanaryVersion()).isEqualTo("v2");
        assertThat(canary.getCanaryPercent()).isEqualTo(20);
        ModelAliases policy = as(GatewayTestBase.TRAINER_KEY)
                .setModelPolicy(SetModelPolicyRequest.newBuilder()
                        .setModel(model)
                        .setPromotion(Promotion.PROMOTION_MANUAL)
                        .build());
        assertThat(policy.getPromotion()).isEqualTo(Promotion.PROMOTION_MANUAL);
        assertThat(policy.getMargin()).as("unchanged").isEqualTo(0.1);
        assertThat(policy.getCanaryVersion()).as("the canary stays").isEqualTo("v2");

        assertCode(
                () -> as(GatewayTestBase.TRAINER_KEY)
                        .promoteModel(PromoteModelRequest.newBuilder()
                                .setModel(model)
                                .setVersion("v9")
                                .build()),
                Status.Code.NOT_FOUND);
        assertCode(
                () -> as(GatewayTestBase.TRAINER_KEY)
                        .cancelTraining(GetTrainingRequest.newBuilder()
                                .setRunId("no-such-run")
                                .build()),
                Status.Code.NOT_FOUND);
        assertCode(
                () -> as(GatewayTestBase.TRAINER_KEY)
                        .deleteDataset(DeleteDatasetRequest.newBuilder()
                                .setName("no-such-dataset")
                                .build()),
                Status.Code.NOT_FOUND);
    }

    @Test
    void theIdempotencyKeyMetadataNamesTheSameJobAndRunAtEveryRepeatAndIsValidated() {
        String key = "grpc-" + UUID.randomUUID();
        SampleParams params = SampleParams.newBuilder()
                .setModel(ModelRef.newBuilder()
                        .setName(GatewayTestBase.storedForEveryKey(
                                store,
                                "grpc-idem-" + UUID.randomUUID().toString().substring(0, 8))))
                .setCount(1)
                .setSteps(2)
                .build();
        SampleJob job = withKey(GatewayTestBase.VIEWER_KEY, key).submitSampleJob(params);
        assertThat(withKey(GatewayTestBase.VIEWER_KEY, key)
                        .submitSampleJob(params)
                        .getJobId())
                .isEqualTo(job.getJobId());
        assertThat(as(GatewayTestBase.VIEWER_KEY).submitSampleJob(params).getJobId())
                .as("without the key: a new job")
                .isNotEqualTo(job.getJobId());

        String dataset = "grpc-idem-" + UUID.randomUUID().toString().substring(0, 8);
        GatewayTestBase.storeDataset(store, dataset, "trainer");
        StartTrainingRequest training = StartTrainingRequest.newBuilder()
                .setDataset(dataset)
                .setSteps(5)
                .build();
        TrainingRun run = withKey(GatewayTestBase.TRAINER_KEY, key).startTraining(training);
        assertThat(run.getDataset()).isEqualTo(dataset);
        assertThat(run.getModelName()).isEqualTo(dataset);
        assertThat(withKey(GatewayTestBase.TRAINER_KEY, key)
                        .startTraining(training)
                        .getRunId())
                .isEqualTo(run.getRunId());

        StatusRuntimeException invalid = assertCode(
                () -> withKey(GatewayTestBase.VIEWER_KEY, "k".repeat(129)).submitSampleJob(params),
                Status.Code.INVALID_ARGUMENT);
        assertThat(invalid.getStatus().getDescription())
                .contains("metadata 'idempotency-key' must be 1 to 128 characters long, was 129");
    }

    private DdpmServiceGrpc.DdpmServiceBlockingStub withKey(String apiKey, String idempotencyKey) {
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("idempotency-key", Metadata.ASCII_STRING_MARSHALLER), idempotencyKey);
        return as(apiKey).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }

    private static SampleEvent first(Iterator<SampleEvent> stream) {
        return stream.next();
    }

    private static StatusRuntimeException assertCode(Runnable call, Status.Code code) {
        StatusRuntimeException[] caught = new StatusRuntimeException[1];
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
            caught[0] = e;
        });
        return caught[0];
    }
}
