package dev.ddpm.gateway;

import com.google.protobuf.ByteString;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.gateway.service.UploadSlots;
import dev.ddpm.proto.gateway.v1.Dataset;
import dev.ddpm.proto.gateway.v1.DatasetChunk;
import dev.ddpm.proto.gateway.v1.DdpmServiceGrpc;
import dev.ddpm.service.testing.GaussianModel;
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
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Uploads through the real gateway under hostile load from valid keys (the test profile: 3 at once
 * per key, 4 in all, at least 1 KiB/s after a 2 s grace): slow uploads beyond a cap are refused at
 * once while sampling goes on, their places free again as they end, and a trickling upload is cut
 * off with nothing stored.
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class UploadBoundsTest extends GatewayTestBase {

    private static final String OTHER_KEY = "test-key-other";
    private static final byte[] PNG = ImageEncoding.png(GaussianModel.pattern(1, 16, 0), 1, 16);

    @Inject
    UploadSlots slots;

    @Test
    void slowUploadsBeyondTheCapsAreRefusedWhileSamplingIsServed() throws Exception {
        GaussianModel model = publish(new GaussianModel(name("up"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        String dataset = name("slow");
        long length = 1_500_000;
        List<RawUpload> uploads = new ArrayList<>();
        // Each open upload gets 1 KiB every 100 ms (10 KiB/s, well above the bound): slow, never too slow.
        ScheduledExecutorService pump = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int i = 0; i < 10; i++) {
                RawUpload upload = new RawUpload(
                        RestAssured.port, "/v1/datasets/" + dataset + "?file=f" + i + ".png", TRAINER_KEY, length);
                upload.send(PNG);
                uploads.add(upload);
            }
            pump.scheduleWithFixedDelay(
                    () -> uploads.forEach(u -> u.send(new byte[1024])), 100, 100, TimeUnit.MILLISECONDS);

            // Seven of the ten are refused at once: 429, problem+json, Retry-After.
            await().atMost(Duration.ofSeconds(30))
                    .until(() ->
                            uploads.stream().filter(u -> u.answer().isDone()).count() == 7);
            List<RawUpload> refused =
                    uploads.stream().filter(u -> u.answer().isDone()).toList();
            List<RawUpload> admitted =
                    uploads.stream().filter(u -> !u.answer().isDone()).toList();
            for (RawUpload upload : refused) {
                RawUpload.Answer answer = upload.answer().get();
                assertThat(answer.status()).isEqualTo(429);
                assertThat(answer.headers().get("Content-Type")).startsWith("application/problem+json");
                assertThat(answer.headers()).containsKey("Retry-After");
                assertThat(answer.body()).contains("gateway.uploads.max-concurrent-per-key");
            }
            assertThat(slots.running()).isEqualTo(3);

            // Sampling is served meanwhile.
            as(VIEWER_KEY)
                    .contentType("application/json")
                    .body("{\"model\":\"" + model.name() + "\",\"steps\":2}")
                    .post("/v1/samples")
                    .then()
                    .statusCode(200);

            // Another key takes the gateway's last place; then the gateway is full, for REST and gRPC alike.
            RawUpload others =
                    new RawUpload(RestAssured.port, "/v1/datasets/" + name("other") + "?file=o.png", OTHER_KEY, length);
            others.send(PNG);
            uploads.add(others);
            await().atMost(Duration.ofSeconds(10)).until(() -> slots.running() == 4);
            try (RawUpload beyond = new RawUpload(
                    RestAssured.port, "/v1/datasets/" + name("other") + "?file=p.png", OTHER_KEY, length)) {
                RawUpload.Answer answer = beyond.answer().get(30, TimeUnit.SECONDS);
                assertThat(answer.status()).isEqualTo(429);
                assertThat(answer.body()).contains("gateway.uploads.max-concurrent)");
            }
            assertThatThrownBy(() -> grpcUpload(OTHER_KEY, name("grpc")).get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                        assertThat(e.getStatus().getDescription()).contains("gateway.uploads.max-concurrent");
                    });
            assertThat(others.answer()).isNotDone();

            // The held uploads end well, and their places are free again.
            pump.shutdownNow();
            pump.awaitTermination(5, TimeUnit.SECONDS);
            for (RawUpload upload : admitted) {
                upload.finish((byte) 0);
                assertThat(upload.answer().get(30, TimeUnit.SECONDS).status()).isEqualTo(201);
            }
            others.finish((byte) 0);
            assertThat(others.answer().get(30, TimeUnit.SECONDS).status()).isEqualTo(201);
            assertThat(store.list(Buckets.DATASETS, dataset + "/")).hasSize(3);
            await().atMost(Duration.ofSeconds(10)).until(() -> slots.running() == 0);
            Dataset stored = grpcUpload(TRAINER_KEY, dataset).get(30, TimeUnit.SECONDS);
            assertThat(stored.getObjects()).isEqualTo(4);
        } finally {
            pump.shutdownNow();
            for (RawUpload upload : uploads) {
                upload.close();
            }
        }
    }

    @Test
    void aTricklingUploadIsCutOffWithNothingStored() throws Exception {
        String dataset = name("trickle");
        try (RawUpload upload =
                new RawUpload(RestAssured.port, "/v1/datasets/" + dataset + "?file=t.png", TRAINER_KEY, 100_000)) {
            upload.send(PNG);
            // 10 bytes every half second: 20 B/s, far below the 1 KiB/s bound.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!upload.answer().isDone() && System.nanoTime() < deadline) {
                upload.send(new byte[10]);
                Thread.sleep(500);
            }
            RawUpload.Answer answer = upload.answer().get(1, TimeUnit.SECONDS);
            assertThat(answer.status()).isEqualTo(408);
            assertThat(answer.headers().get("Content-Type")).startsWith("application/problem+json");
            assertThat(answer.body())
                    .contains("gateway.uploads.min-bytes-per-second")
                    .contains("nothing was stored");
        }
        assertThat(store.list(Buckets.DATASETS, dataset + "/")).isEmpty();
        assertThat(store.list(Buckets.DATASETS, ArtifactStore.STAGING_PREFIX)).isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> slots.running() == 0);
    }

    /** One small PNG uploaded over gRPC. */
    private CompletableFuture<Dataset> grpcUpload(String key, String dataset) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port)
                .usePlaintext()
                .build();
        CompletableFuture<Dataset> done = new CompletableFuture<>();
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), key);
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
                .setFileName("g.png")
                .setData(ByteString.copyFrom(Arrays.copyOf(PNG, PNG.length)))
                .build());
        upload.onCompleted();
        return done.whenComplete((d, e) -> channel.shutdownNow());
    }
}
