package dev.ddpm.sampler;

import dev.ddpm.proto.common.v1.ModelRef;
import dev.ddpm.proto.common.v1.OutputFormat;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.proto.common.v1.Sampler;
import dev.ddpm.proto.sampler.v1.SampleRequest;
import dev.ddpm.proto.sampler.v1.SamplerServiceGrpc;
import dev.ddpm.sampler.output.PreviewEncoder;
import dev.ddpm.service.testing.GaussianModel;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

/**
 * What one request may make the sampler hold: previews capped per image, encoded off the batcher
 * and sent at the reader's pace; animation frames and working copies counted against a memory
 * bound; model sessions capped, and loads of pinned versions limited per caller. Its own profile
 * serves one model (others' publications are not loaded), so that the sessions open are known.
 */
@QuarkusTest
@TestProfile(MemoryBoundsTest.Bounds.class)
class MemoryBoundsTest extends SamplerTestBase {

    static final String SERVED = "memory-bounds-served";

    public static class Bounds implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "sampler.models", SERVED,
                    "sampler.queue.max-held-bytes", "48M",
                    "sampler.sessions.max-open", "2",
                    "sampler.sessions.loads-per-caller-per-minute", "2");
        }
    }

    @Inject
    MeterRegistry meters;

    private GaussianModel served() {
        return publish(new GaussianModel(SERVED, "v" + System.nanoTime(), GaussianModel.pattern(3, 64, 0), 0.3, 3, 64));
    }

    private static SampleRequest.Builder ddpm(String model, String version, int count, OutputFormat output) {
        return SampleRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString())
                .setParams(SampleParams.newBuilder()
                        .setModel(ModelRef.newBuilder().setName(model).setVersion(version))
                        .setCount(count)
                        .setSampler(Sampler.SAMPLER_DDPM)
                        .setSteps(1000)
                        .setOutput(output));
    }

    @Test
    void previewsOfEveryStepAreCappedPerImageAndEncodedOffTheBatcher() {
        GaussianModel model = served();
        SampleRequest request = ddpm(model.name(), "", 1, OutputFormat.OUTPUT_FORMAT_PNG)
                .setParams(ddpm(model.name(), "", 1, OutputFormat.OUTPUT_FORMAT_PNG).getParams().toBuilder()
                        .setPreviewEvery(1))
                .build();
        List<Integer> previewSteps = new ArrayList<>();
        List<Integer> intervals = new ArrayList<>();
        boolean result = false;
        for (Iterator<SampleEvent> it =
                        SamplerServiceGrpc.newBlockingStub(channel).sample(request);
                it.hasNext(); ) {
            SampleEvent event = it.next();
            if (event.hasPreview()) {
                previewSteps.add(event.getPreview().getStep());
            } else if (event.hasProgress() && event.getProgress().getStep() > 0) {
                intervals.add(event.getProgress().getPreviewEvery());
            }
            result |= event.hasResult();
        }
        assertThat(result).isTrue();
        // 1000 steps, 50 previews per image at most (the default): every 20th step, 49 before the last.
        assertThat(intervals).isNotEmpty().containsOnly(20);
        assertThat(previewSteps).isNotEmpty().hasSizeLessThanOrEqualTo(49).allMatch(step -> step % 20 == 0);
        // the PNGs were made on the encoder's threads, which did the work
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long encoderNanos = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(PreviewEncoder.THREAD_PREFIX))
                .mapToLong(t -> Math.max(0, threads.getThreadCpuTime(t.getId())))
                .sum();
        assertThat(encoderNanos).isPositive();
    }

    @Test
    void aReaderThatFallsBehindGetsTheNewestPreviewsNotABuffer() throws Exception {
        GaussianModel model = served();
        SampleRequest request = ddpm(model.name(), "", 8, OutputFormat.OUTPUT_FORMAT_GRID)
                .setParams(ddpm(model.name(), "", 8, OutputFormat.OUTPUT_FORMAT_GRID).getParams().toBuilder()
                        .setSampler(Sampler.SAMPLER_DDIM)
                        .setSteps(200)
                        .setPreviewEvery(4))
                .build();
        double supersededBefore = superseded();
        double sentBefore = sent();
        List<SampleEvent> events = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        List<ClientCallStreamObserver<SampleRequest>> stream = new CopyOnWriteArrayList<>();
        // a small receive window, so that what the reader does not take soon fills the transport
        Metadata credentials = new Metadata();
        credentials.put(Metadata.Key.of("x-operator-key", Metadata.ASCII_STRING_MARSHALLER), OPERATOR_KEY);
        ManagedChannel narrow = NettyChannelBuilder.forAddress("localhost", RestAssured.port)
                .usePlaintext()
                .flowControlWindow(16 * 1024)
                .intercept(MetadataUtils.newAttachHeadersInterceptor(credentials))
                .build();
        SamplerServiceGrpc.newStub(narrow).sample(request, new ClientResponseObserver<SampleRequest, SampleEvent>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<SampleRequest> requests) {
                requests.disableAutoRequestWithInitial(0); // reads nothing until told
                stream.add(requests);
            }

            @Override
            public void onNext(SampleEvent event) {
                events.add(event);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        });
        // 8 images x 49 previews: far more than the transport's windows hold.
        await().atMost(Duration.ofSeconds(10)).until(() -> batcher.backlogEvaluations() > 0);
        await().atMost(Duration.ofSeconds(60)).until(() -> batcher.backlogEvaluations() == 0);
        // What the sampler wrote while nobody read: what the transport's windows took (about 40
        // previews, varying with the PNGs' sizes), far from the 392 an unpaced stream writes.
        double sentUnread = sent() - sentBefore;
        assertThat(sentUnread)
                .as("previews written while the reader read nothing")
                .isLessThanOrEqualTo(100);
        stream.get(0).request(Integer.MAX_VALUE);
        try {
            done.get(30, TimeUnit.SECONDS);
        } finally {
            narrow.shutdownNow();
        }

        long previews = events.stream().filter(SampleEvent::hasPreview).count();
        assertThat(events.get(events.size() - 1).hasResult()).isTrue();
        assertThat(previews).isPositive().isLessThan(8 * 49);
        assertThat(superseded()).isGreaterThan(supersededBefore);
    }

    private double sent() {
        return meters.counter("ddpm_sampler_previews_total", "outcome", "sent").count();
    }

    private double superseded() {
        return meters.counter("ddpm_sampler_previews_total", "outcome", "superseded")
                .count();
    }

    @Test
    void gifRequestsAreAdmittedByTheMemoryTheyHold() {
        GaussianModel model = served();
        // 64 images x (49 frames + 8 working copies) of 3x64x64: about 61 MiB, more than the 48 MiB bound.
        given().contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"count\":64,\"sampler\":\"ddpm\",\"output\":\"gif\"}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body(
                        "detail",
                        containsString("the request would hold 60.8 MiB (64 images of 12288 values x (49 frames of 1"
                                + " byte + 8 working copies of 4 bytes)), more than the 48.0 MiB all requests may"
                                + " hold together (sampler.queue.max-held-bytes)"));

        Context.CancellableContext holder = Context.current().withCancellation();
        try {
            holder.run(() -> SamplerServiceGrpc.newStub(channel)
                    .sample(
                            ddpm(model.name(), "", 40, OutputFormat.OUTPUT_FORMAT_GIF)
                                    .build(),
                            ignoring()));
            await().atMost(Duration.ofSeconds(10)).until(() -> batcher.activeRequests() == 1);

            // 16 more images would pass the bound while the 40 are held: refused with a retry hint.
            assertThatThrownBy(() -> result(SamplerServiceGrpc.newBlockingStub(channel)
                            .sample(ddpm(model.name(), "", 16, OutputFormat.OUTPUT_FORMAT_GIF)
                                    .build())))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                        assertThat(e.getStatus().getDescription())
                                .contains("the request would hold 15.2 MiB")
                                .contains("the requests held now hold 38.0 MiB of the bound of 48.0 MiB");
                        assertThat(e.getTrailers()
                                        .get(Metadata.Key.of("retry-after-ms", Metadata.ASCII_STRING_MARSHALLER)))
                                .isNotNull();
                    });
            // a small GIF fits beside them and is served
            given().contentType("application/json")
                    .body("{\"model\":\"" + model.name() + "\",\"count\":2,\"sampler\":\"ddim\",\"steps\":20,"
                            + "\"output\":\"gif\"}")
                    .post("/v1/samples")
                    .then()
                    .statusCode(200)
                    .contentType("image/gif");
        } finally {
            holder.cancel(null);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> batcher.backlogEvaluations() == 0);
    }

    @Test
    void loadsBeyondTheOpenSessionsAreRefusedWhileTheServedVersionServes() {
        GaussianModel model = served();
        String pinned = name("pinned");
        for (String version : List.of("v1", "v2", "v3")) {
            new GaussianModel(pinned, version, GaussianModel.pattern(3, 64, 0), 0.3, 3, 64).publish(store, events);
        }
        Context.CancellableContext holders = Context.current().withCancellation();
        try {
            // two long requests hold v1 and v2: with the served version, three sessions, the most
            for (String version : List.of("v1", "v2")) {
                holders.run(() -> caller("holder")
                        .sample(
                                ddpm(pinned, version, 40, OutputFormat.OUTPUT_FORMAT_PNG)
                                        .build(),
                                ignoring()));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> batcher.activeRequests() == 2);
            assertThat(registry.openSessions()).isEqualTo(3);

            assertThatThrownBy(() -> result(blocking("other")
                            .sample(ddpm(pinned, "v3", 1, OutputFormat.OUTPUT_FORMAT_PNG)
                                    .build())))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                        assertThat(e.getStatus().getDescription())
                                .contains("version " + pinned + "/v3 is not loaded, and the sampler has 2 model"
                                        + " sessions open beside the versions it serves by default, its most"
                                        + " (sampler.sessions.max-open");
                    });
            assertThat(result(sample(model.name(), 1, 1, Sampler.SAMPLER_DDIM, 5)))
                    .hasSize(1);
        } finally {
            holders.cancel(null);
        }
        // once the sessions are no longer in use, the idle pinned one makes room
        await().atMost(Duration.ofSeconds(10)).until(() -> batcher.activeRequests() == 0);
        assertThat(result(blocking("other")
                        .sample(ddpm(pinned, "v3", 1, OutputFormat.OUTPUT_FORMAT_PNG)
                                .setParams(ddpm(pinned, "v3", 1, OutputFormat.OUTPUT_FORMAT_PNG).getParams().toBuilder()
                                        .setSteps(5))
                                .build())))
                .hasSize(1);
    }

    @Test
    void loadsOfPinnedVersionsAreLimitedPerCaller() {
        GaussianModel model = served();
        String pinned = name("rate");
        for (String version : List.of("v1", "v2", "v3")) {
            new GaussianModel(pinned, version, GaussianModel.pattern(1, 8, 0), 0.3, 1, 8).publish(store, events);
        }
        String alice = "alice-" + UUID.randomUUID();
        for (String version : List.of("v1", "v2")) {
            given().header("ddpm-caller", alice)
                    .contentType("application/json")
                    .body("{\"model\":\"" + pinned + "\",\"version\":\"" + version + "\",\"steps\":2}")
                    .post("/v1/samples")
                    .then()
                    .statusCode(200);
        }
        given().header("ddpm-caller", alice)
                .contentType("application/json")
                .body("{\"model\":\"" + pinned + "\",\"version\":\"v3\",\"steps\":2}")
                .post("/v1/samples")
                .then()
                .statusCode(429)
                .contentType("application/problem+json")
                .header("Retry-After", org.hamcrest.Matchers.notNullValue())
                .body(
                        "detail",
                        containsString("version " + pinned + "/v3 is not loaded, and this caller started 2 loads of"
                                + " pinned versions in the last minute, its most"));
        // the served version serves, a version loaded already is no load, and another caller may load
        given().header("ddpm-caller", alice)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"steps\":2}")
                .post("/v1/samples")
                .then()
                .statusCode(200);
        given().header("ddpm-caller", alice)
                .contentType("application/json")
                .body("{\"model\":\"" + pinned + "\",\"version\":\"v2\",\"steps\":2}")
                .post("/v1/samples")
                .then()
                .statusCode(200);
        given().header("ddpm-caller", "bob-" + UUID.randomUUID())
                .contentType("application/json")
                .body("{\"model\":\"" + pinned + "\",\"version\":\"v3\",\"steps\":2}")
                .post("/v1/samples")
                .then()
                .statusCode(200);
    }

    private SamplerServiceGrpc.SamplerServiceStub caller(String caller) {
        return SamplerServiceGrpc.newStub(channel).withInterceptors(callerHeader(caller));
    }

    private SamplerServiceGrpc.SamplerServiceBlockingStub blocking(String caller) {
        return SamplerServiceGrpc.newBlockingStub(channel).withInterceptors(callerHeader(caller));
    }

    private static io.grpc.ClientInterceptor callerHeader(String caller) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("ddpm-caller", Metadata.ASCII_STRING_MARSHALLER), caller);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    private static io.grpc.stub.StreamObserver<SampleEvent> ignoring() {
        return new io.grpc.stub.StreamObserver<>() {
            @Override
            public void onNext(SampleEvent value) {}

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
        };
    }
}
