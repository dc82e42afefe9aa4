package dev.ddpm.gateway;

import dev.ddpm.proto.common.v1.ModelRef;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.proto.common.v1.Sampler;
import dev.ddpm.proto.gateway.v1.DdpmServiceGrpc;
import dev.ddpm.service.testing.GaussianModel;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client that leaves the gateway cancels its work on the sampler, over REST, SSE and gRPC; a
 * client that never reads its event stream does not make the gateway hold the stream. The requests
 * are long (DDPM over the model's T = 1000 steps, 16 large images), checked to outlast the wait
 * for the sampler to drop them, so that only a cancellation can end them in time.
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class GatewayCancellationTest extends GatewayTestBase {

    /** How soon after its client leaves the sampler must have dropped a request. */
    private static final Duration DROPPED_WITHIN = Duration.ofSeconds(3);
    /** Heap the gateway may keep for a never-read stream whose previews alone are over 30 MB. */
    private static final long UNREAD_STREAM_HEAP_BOUND = 10L << 20;

    private static GaussianModel model;

    @BeforeEach
    void publishOnce() {
        if (model == null) {
            model = publish(new GaussianModel(name("gwcancel"), "v1", GaussianModel.pattern(3, 128, 0), 0.3, 3, 128));
        }
    }

    private static String longRequest() {
        return "{\"model\":\"" + model.name() + "\",\"count\":16,\"sampler\":\"ddpm\",\"output\":\"grid\"}";
    }

    @Test
    void aRestClientThatDisconnectsCancelsItsSamplerCall() throws Exception {
        disconnectAndAwaitTheSamplerDropping(VIEWER_KEY, "image/png");
    }

    @Test
    void anSseClientThatDisconnectsCancelsItsSamplerCall() throws Exception {
        disconnectAndAwaitTheSamplerDropping("test-key-other", "text/event-stream");
    }

    @Test
    void aGrpcClientThatCancelsCancelsItsSamplerCall() throws Exception {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port)
                .usePlaintext()
                .build();
        try {
            Metadata key = new Metadata();
            key.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), TRAINER_KEY);
            CompletableFuture<String> ended = new CompletableFuture<>();
            Context.CancellableContext call = Context.current().withCancellation();
            call.run(() -> DdpmServiceGrpc.newStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                    .sample(
                            SampleParams.newBuilder()
                                    .setModel(ModelRef.newBuilder().setName(model.name()))
                                    .setCount(16)
                                    .setSampler(Sampler.SAMPLER_DDPM)
                                    .build(),
                            new StreamObserver<>() {
                                @Override
                                public void onNext(SampleEvent value) {}

                                @Override
                                public void onError(Throwable t) {
                                    ended.complete(t.toString());
                                }

                                @Override
                                public void onCompleted() {
                                    ended.complete("completed");
                                }
                            }));
            await().atMost(Duration.ofSeconds(30)).until(() -> ended.isDone() || samplerBacklog() > 0);
            assertThat(ended).as("the call, before it is cancelled").isNotDone();
            awaitARequestThatOutlastsTheWait();
            call.cancel(null);
            awaitTheSamplerDropping("gRPC");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void anSseClientThatNeverReadsCostsTheGatewayLittleHeap() throws Exception {
        long before = heapAfterGc();
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("localhost", RestAssured.port));
            send(socket, VIEWER_KEY, "text/event-stream", manyPreviews());
            assertTheGatewayHoldsLittleOnceTheSamplerIsDone(before);
        }
    }

    @Test
    void aGrpcClientThatNeverReadsCostsTheGatewayLittleHeap() throws Exception {
        long before = heapAfterGc();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port)
                .usePlaintext()
                .build();
        try {
            Metadata key = new Metadata();
            key.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), "test-key-other");
            DdpmServiceGrpc.newStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                    .sample(
                            SampleParams.newBuilder()
                                    .setModel(ModelRef.newBuilder().setName(model.name()))
                                    .setCount(32)
                                    .setSampler(Sampler.SAMPLER_DDIM)
                                    .setSteps(48)
                                    .setPreviewEvery(1)
                                    .build(),
                            new ClientResponseObserver<Object, SampleEvent>() {
                                @Override
                                public void beforeStart(ClientCallStreamObserver<Object> call) {
                                    call.disableAutoRequestWithInitial(0); // never reads a message
                                }

                                @Override
                                public void onNext(SampleEvent value) {}

                                @Override
                                public void onError(Throwable t) {}

                                @Override
                                public void onCompleted() {}
                            });
            assertTheGatewayHoldsLittleOnceTheSamplerIsDone(before);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Many previews (32 images x 47 steps of 128x128 PNGs, about 20 KB each: over 30 MB), in few
     * enough steps that a sampler's own cap on previews per request leaves them all.
     */
    private static String manyPreviews() {
        return "{\"model\":\"" + model.name()
                + "\",\"count\":32,\"sampler\":\"ddim\",\"steps\":48,\"previewEvery\":1,\"output\":\"grid\"}";
    }

    private static void assertTheGatewayHoldsLittleOnceTheSamplerIsDone(long heapBefore) {
        double supersededBefore = gatewayMetric("ddpm_gateway_sampler_superseded_events_total");
        await().atMost(Duration.ofSeconds(30)).until(() -> gatewayMetric("ddpm_gateway_sampler_calls") > 0);
        // The call ends once the gateway has read every event the sampler sent: what it holds then is
        // what it keeps for the client that reads nothing.
        await("the sampler's stream ends")
                .atMost(Duration.ofSeconds(120))
                .until(() -> gatewayMetric("ddpm_gateway_sampler_calls") == 0);
        long held = heapAfterGc() - heapBefore;
        System.out.printf("unread stream: the gateway's heap grew by %.1f MB%n", held / 1e6);
        assertThat(held)
                .as("heap the gateway holds for the unread stream (bytes)")
                .isLessThan(UNREAD_STREAM_HEAP_BOUND);
        assertThat(gatewayMetric("ddpm_gateway_sampler_superseded_events_total"))
                .as("previews replaced by newer ones before the client read them")
                .isGreaterThan(supersededBefore);
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private void disconnectAndAwaitTheSamplerDropping(String key, String accept) throws Exception {
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            send(socket, key, accept, longRequest());
            awaitARequestThatOutlastsTheWait();
        }
        awaitTheSamplerDropping(accept);
    }

    private static void send(Socket socket, String key, String accept, String body) throws Exception {
        socket.getOutputStream()
                .write(("POST /v1/samples HTTP/1.1\r\nHost: localhost\r\nX-API-Key: " + key
                                + "\r\nAccept: " + accept
                                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                                + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
    }

    /**
     * Waits for the sampler to work on the request, and checks, from how fast its backlog falls, that
     * it would still be working well after the test's wait for it to be dropped.
     */
    private static void awaitARequestThatOutlastsTheWait() {
        await().atMost(Duration.ofSeconds(30)).until(() -> samplerBacklog() > 0);
        double first = samplerBacklog();
        long from = System.nanoTime();
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> System.nanoTime() - from > TimeUnit.SECONDS.toNanos(1) && samplerBacklog() < first);
        double left = samplerBacklog();
        double perSecond = (first - left) / ((System.nanoTime() - from) / 1e9);
        assertThat(left / perSecond)
                .as("seconds of work the sampler has left (%.0f evaluations at %.0f/s)", left, perSecond)
                .isGreaterThan(3.0 * DROPPED_WITHIN.toSeconds());
    }

    private static void awaitTheSamplerDropping(String client) {
        await(client + ": the sampler drops the request")
                .atMost(DROPPED_WITHIN)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> samplerBacklog() == 0);
    }

    private static double gatewayMetric(String name) {
        return given().get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString()
                .lines()
                .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
