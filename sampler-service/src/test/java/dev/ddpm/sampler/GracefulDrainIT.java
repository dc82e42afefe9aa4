package dev.ddpm.sampler;

import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.S3Settings;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.Sampler;
import dev.ddpm.proto.sampler.v1.SamplerServiceGrpc;
import dev.ddpm.service.testing.GaussianModel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The stop signal (SIGTERM, as Kubernetes sends it) to the packaged sampler with a request in flight:
 * the sampler turns not ready and refuses new requests with 503 / UNAVAILABLE and a retry hint, lets
 * the held request finish and answer, and exits; with a drain time shorter than the request, the
 * request ends with the shutting-down status rather than a broken connection.
 */
class GracefulDrainIT {

    private static ArtifactStore store;
    private static EventPublisher events;
    private static GaussianModel model;

    @BeforeAll
    static void publish() {
        store = new ArtifactStore(new S3Settings(
                env("S3_ENDPOINT"), env("S3_ACCESS_KEY"), env("S3_SECRET_KEY"), "us-east-1", Duration.ofSeconds(20)));
        events = new EventPublisher(new KafkaSettings(env("KAFKA_BOOTSTRAP_SERVERS"), "drain-test"), "/tests");
        model = new GaussianModel(
                "drain-" + UUID.randomUUID().toString().substring(0, 8),
                "v1",
                GaussianModel.pattern(3, 64, 0),
                0.3,
                3,
                64);
        model.publish(store, events);
    }

    @AfterAll
    static void close() {
        events.close();
    }

    @Test
    void aRequestInFlightFinishesWhileNewOnesAreRefusedAndTheProcessExits() throws Exception {
        try (SamplerProcess sampler = SamplerProcess.startReady("drain-finishes", settings("90s"))) {
            ManagedChannel channel = channel(sampler);
            AtomicInteger steps = new AtomicInteger();
            CompletableFuture<List<byte[]>> inFlight = sample(channel, 32, steps);
            await().atMost(Duration.ofSeconds(30)).until(() -> steps.get() > 0 || inFlight.isDone());
            assertThat(inFlight).as("still running when the signal comes").isNotDone();

            sampler.terminate();

            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> SamplerProcess.status(sampler.url() + "/q/health/ready") == 503);
            assertThatThrownBy(() -> SamplerServiceGrpc.newBlockingStub(channel)
                            .sample(SamplerTestBase.request(model.name(), 2, 1, Sampler.SAMPLER_DDIM, 5))
                            .hasNext())
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                        assertThat(e.getStatus().getDescription())
                                .contains("the sampler is shutting down; it takes no new requests");
                    });
            HttpResponse<String> refused = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(sampler.url() + "/v1/samples"))
                                    .header("x-operator-key", SamplerProcess.OPERATOR_KEY)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model.name()
                                            + "\",\"count\":1,\"steps\":5," + "\"sampler\":\"ddim\"}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(refused.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
            assertThat(refused.body()).contains("the sampler is shutting down");

            assertThat(inFlight.get(90, TimeUnit.SECONDS))
                    .as("the held request's images")
                    .hasSize(32)
                    .allSatisfy(png -> assertThat(png).startsWith(0x89, 'P', 'N', 'G'));
            assertThat(sampler.awaitExit(60))
                    .as("the process exits once drained")
                    .isTrue();
            assertThat(sampler.log()).contains("drained in");
            channel.shutdownNow();
        }
    }

    @Test
    void aRequestLongerThanTheDrainTimeEndsWithTheShuttingDownStatus() throws Exception {
        try (SamplerProcess sampler = SamplerProcess.startReady("drain-times-out", settings("1s"))) {
            ManagedChannel channel = channel(sampler);
            AtomicInteger steps = new AtomicInteger();
            CompletableFuture<List<byte[]>> inFlight = sample(channel, 64, steps);
            await().atMost(Duration.ofSeconds(30)).until(() -> steps.get() > 0 || inFlight.isDone());
            assertThat(inFlight).as("still running when the signal comes").isNotDone();

            sampler.terminate();

            assertThatThrownBy(() -> inFlight.get(60, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                        assertThat(e.getStatus().getDescription())
                                .contains("the sampler is shutting down")
                                .contains("did not finish within the drain time (sampler.shutdown.drain-timeout");
                        assertThat(e.getTrailers().get(dev.ddpm.service.grpc.GrpcProblems.RETRY_AFTER_MS))
                                .isNotNull();
                    });
            assertThat(steps.get()).as("it ran until the drain time was up").isLessThan(1000);
            assertThat(sampler.awaitExit(60)).as("the process exits").isTrue();
            channel.shutdownNow();
        }
    }

    /** A consumer group of its own, so that a process this test kills never holds the shared group's jobs. */
    private static List<String> settings(String drainTimeout) {
        return List.of(
                "-Dmp.messaging.incoming.sample-jobs.group.id=ddpm-drain-test-" + UUID.randomUUID(),
                "-Dsampler.models=" + model.name(),
                "-Dsampler.max-batch=8",
                "-Dsampler.shutdown.drain-timeout=" + drainTimeout);
    }

    private static ManagedChannel channel(SamplerProcess sampler) {
        Metadata credentials = new Metadata();
        credentials.put(
                Metadata.Key.of("x-operator-key", Metadata.ASCII_STRING_MARSHALLER), SamplerProcess.OPERATOR_KEY);
        return ManagedChannelBuilder.forAddress("127.0.0.1", sampler.port())
                .usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(credentials))
                .build();
    }

    /** A DDPM-1000 request of {@code count} images, read to its end on a thread of its own. */
    private static CompletableFuture<List<byte[]>> sample(ManagedChannel channel, int count, AtomicInteger steps) {
        return CompletableFuture.supplyAsync(() -> {
            Iterator<SampleEvent> stream = SamplerServiceGrpc.newBlockingStub(channel)
                    .sample(SamplerTestBase.request(model.name(), 1, count, Sampler.SAMPLER_DDPM, 1000));
            while (stream.hasNext()) {
                SampleEvent event = stream.next();
                if (event.hasProgress()) {
                    steps.set(event.getProgress().getStep());
                }
                if (event.hasResult()) {
                    return event.getResult().getImagesList().stream()
                            .map(image -> image.getData().toByteArray())
                            .toList();
                }
            }
            throw new AssertionError("the stream ended without a result");
        });
    }

    private static String env(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: this test needs the real broker and S3 server"
                    + " (deploy/local/stack.sh start infra, then its env)");
        }
        return value;
    }
}
