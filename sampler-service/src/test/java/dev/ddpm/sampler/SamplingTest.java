package dev.ddpm.sampler;

import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.events.ModelRejected;
import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.proto.common.v1.ModelRef;
import dev.ddpm.proto.common.v1.OutputFormat;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.proto.common.v1.Sampler;
import dev.ddpm.proto.sampler.v1.SampleRequest;
import dev.ddpm.proto.sampler.v1.SamplerServiceGrpc;
import dev.ddpm.sampler.batching.StepBatcher;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.registry.ModelRegistry;
import dev.ddpm.service.testing.GaussianModel;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The sampler against the real broker, the real S3 server and real ONNX Runtime, with models whose
 * correct output is known in closed form ({@link GaussianModel}).
 */
@QuarkusTest
class SamplingTest {

    @Inject
    ArtifactStore store;
    @Inject
    EventPublisher events;
    @Inject
    KafkaSettings kafka;
    @Inject
    ModelRegistry registry;
    @Inject
    StepBatcher batcher;

    private ManagedChannel channel;

    /** The operator key the test profile configures (ddpm.operator.key); every operator call presents it. */
    static final String OPERATOR_KEY = "test-operator-key";

    @BeforeEach
    void channel() {
        io.grpc.Metadata credentials = new io.grpc.Metadata();
        credentials.put(io.grpc.Metadata.Key.of("x-operator-key", io.grpc.Metadata.ASCII_STRING_MARSHALLER), OPERATOR_KEY);
        channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext()
                .intercept(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(credentials)).build();
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void operatorRoutesNeedTheOperatorKeyOverHttpAndGrpc() throws InterruptedException {
        RestAssured.given().delete("/v1/models/anything").then().statusCode(401).contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.containsString("x-operator-key"));
        RestAssured.given().header("x-operator-key", "wrong").contentType("application/json").body("{\"model\":\"m\"}")
                .post("/v1/samples").then().statusCode(401).body("detail", org.hamcrest.Matchers.containsString("not valid"));
        given().get("/q/health/live").then().statusCode(200);
        ManagedChannel bare = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
        try {
            assertThatThrownBy(() -> SamplerServiceGrpc.newBlockingStub(bare)
                    .listModels(dev.ddpm.proto.common.v1.ListModelsRequest.getDefaultInstance()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        } finally {
            bare.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        // With the key, the same calls are served.
        assertThat(SamplerServiceGrpc.newBlockingStub(channel)
                .listModels(dev.ddpm.proto.common.v1.ListModelsRequest.getDefaultInstance())).isNotNull();
    }

    @Test
    void samplesFollowTheModelsDistributionForBothSamplers() throws IOException {
        GaussianModel model = publish(new GaussianModel(name("gauss"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        GaussianModel other = new GaussianModel("x", "v", GaussianModel.pattern(1, 16, 2), 0.3, 1, 16);
        for (String sampler : List.of("ddim", "ddpm")) {
            Response response = twelveAsJson(model.name(), sampler, 7);
            List<float[]> images = images(response);
            double[] fit = residual(images, model.mu());
            System.out.printf("%s: residual mean %.4f, std %.4f (model s = 0.3)%n", sampler, fit[0], fit[1]);
            assertThat(images).hasSize(12);
            assertThat(Math.abs(fit[0])).isLessThan(0.05);
            assertThat(fit[1]).isBetween(0.22, 0.38);
            // Read against another model's mean the same images are far off: the check can fail.
            assertThat(residual(images, other.mu())[1]).isGreaterThan(0.5);
            assertThat(response.jsonPath().getString("version")).isEqualTo("v1");
        }
    }

    /** Each ODE solver, served: the images ddpm-core computes for the seed, distributed as the model's. */
    @Test
    void everyOdeSolverServesWhatDdpmCoreComputesForTheSeedAndFollowsTheModel() throws IOException {
        GaussianModel model = publish(new GaussianModel(name("solvers"), "v1", GaussianModel.pattern(1, 16, 2), 0.3, 1, 16));
        GaussianModel other = new GaussianModel("x", "v", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16);
        record Case(SamplerKind kind, int steps, Integer order, TimestepSpacing spacing) {
        }
        for (Case c : List.of(new Case(SamplerKind.DPM_SOLVER_PP, 12, 3, TimestepSpacing.KARRAS),
                new Case(SamplerKind.DPM_SOLVER_PP, 10, null, null), new Case(SamplerKind.UNIPC, 10, null, null),
                new Case(SamplerKind.EULER, 20, null, null), new Case(SamplerKind.HEUN, 12, null, null), new Case(SamplerKind.UNIPC, 12, 3, TimestepSpacing.LEADING))) {
            String extra = (c.order() == null ? "" : ",\"order\":" + c.order())
                    + (c.spacing() == null ? "" : ",\"spacing\":\"" + c.spacing().name().toLowerCase() + "\"");
            Response response = given().contentType("application/json")
                    .body("{\"model\":\"" + model.name() + "\",\"count\":12,\"sampler\":\"" + c.kind().wireName()
                            + "\",\"steps\":" + c.steps() + ",\"seed\":5,\"output\":\"json\",\"clipX0\":false" + extra + "}")
                    .post("/v1/samples");
            response.then().statusCode(200);
            List<float[]> served = images(response);
            float[][] direct = dev.ddpm.core.diffusion.ReverseProcess.sample(model.denoiser(),
                    () -> Schedulers.create(GaussianModel.DIFFUSION, SchedulerSettings.of(c.kind()).withSteps(c.steps())
                            .withClipX0(false).withOrder(c.order()).withSpacing(c.spacing())), 12, 256, 5, 0);
            for (int n = 0; n < 12; n++) {
                for (int i = 0; i < 256; i++) {
                    float expected = Math.max(-1f, Math.min(1f, direct[n][i]));
                    assertThat(served.get(n)[i]).as("%s image %d pixel %d", c, n, i)
                            .isCloseTo(expected, org.assertj.core.api.Assertions.within(1.5f / 127.5f));
                }
            }
            double[] fit = residual(served, model.mu());
            System.out.printf("%s: residual mean %.4f, std %.4f (model s = 0.3)%n", c, fit[0], fit[1]);
            assertThat(Math.abs(fit[0])).isLessThan(0.05);
            assertThat(fit[1]).isBetween(0.22, 0.38);
            assertThat(residual(served, other.mu())[1]).isGreaterThan(0.5);
        }
    }

    @Test
    void anAutoguidedModelSamplesCloserToItsMeanThanTheSameModelAlone() throws IOException {
        // The model has learnt N(mu, 0.3^2); its guide, a "weaker version", N(mu, 0.6^2). Guided with
        // w = 2, the sampler extrapolates past the model away from the guide: the same mean, less spread.
        float[] mu = GaussianModel.pattern(1, 16, 3);
        GaussianModel alone = publish(new GaussianModel(name("alone"), "v1", mu, 0.3, 1, 16));
        GaussianModel guided = new GaussianModel(name("guided"), "v1", mu, 0.3, 1, 16);
        guided.publishGuided(store, events, 0.6, 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.current().containsKey(guided.name()));
        assertThat(registry.current().get(guided.name()).manifest().guide().weight()).isEqualTo(2.0);
        for (String sampler : List.of("ddpm", "dpm++", "unipc", "heun")) {
            double[] plain = residual(images(twelveAsJson(alone.name(), sampler, 11)), mu);
            double[] withGuide = residual(images(twelveAsJson(guided.name(), sampler, 11)), mu);
            System.out.printf("%s alone: residual std %.4f; autoguided: %.4f (model s = 0.3, guide s = 0.6, w = 2)%n",
                    sampler, plain[1], withGuide[1]);
            assertThat(plain[1]).isBetween(0.22, 0.38);
            assertThat(Math.abs(withGuide[0])).isLessThan(0.05);
            assertThat(withGuide[1]).isLessThan(0.8 * plain[1]);
        }
    }

    @Test
    void aGuideThatFailsItsSha256IsRejectedAndNothingIsServed() {
        String name = name("bad-guide");
        GaussianModel model = new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16);
        byte[] graph = model.graph();
        var graphRef = store.put(Buckets.MODELS, name + "/v1/unet.onnx", graph, "application/octet-stream");
        // The guide's bytes changed after the manifest recorded their sha256.
        byte[] guide = new GaussianModel(name, "v1", model.mu(), 0.6, 1, 16).graph();
        var honest = new dev.ddpm.core.events.ObjectRef(Buckets.MODELS, name + "/v1/guide.onnx", guide.length,
                dev.ddpm.core.storage.Sha256.of(guide));
        byte[] tampered = guide.clone();
        tampered[tampered.length - 1] ^= 1;
        store.put(Buckets.MODELS, honest.key(), tampered, "application/octet-stream");
        var manifestRef = store.putJson(Buckets.MODELS, name + "/v1/manifest.json",
                model.guidedManifest(graph, graphRef, honest, 2, java.time.Instant.now()));
        events.publishAndWait(dev.ddpm.core.events.CloudEvent.of("/tests", new dev.ddpm.core.events.ModelPublished(
                name, "v1", manifestRef.key(), manifestRef.sha256())), Duration.ofSeconds(10));
        assertThat(rejections(name, 1)).first().satisfies(r ->
                assertThat(r.reason()).contains("guide.onnx").contains("sha256"));
        assertThat(registry.current()).doesNotContainKey(name);
    }

    /** Twelve unclipped samples over REST, as JSON (a 200 is required). */
    private static Response twelveAsJson(String model, String sampler, long seed) {
        Response response = given().contentType("application/json")
                .body("{\"model\":\"" + model + "\",\"count\":12,\"sampler\":\"" + sampler + "\",\"seed\":" + seed
                        + ",\"output\":\"json\",\"clipX0\":false}")
                .post("/v1/samples");
        response.then().statusCode(200);
        return response;
    }

    private static List<float[]> images(Response response) throws IOException {
        List<float[]> images = new ArrayList<>();
        for (String data : response.jsonPath().<String>getList("images.data")) {
            images.add(pixels(java.util.Base64.getDecoder().decode(data)));
        }
        return images;
    }

    @Test
    void aSeedGivesTheSameImagesWhateverTheBatch() throws Exception {
        GaussianModel model = publish(new GaussianModel(name("seeds"), "v1", GaussianModel.pattern(1, 16, 1), 0.4, 1, 16));
        byte[] alone = result(sample(model.name(), 42, 1, Sampler.SAMPLER_DDIM, 30)).get(0);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            // The same request among neighbours at other timesteps, step counts and samplers.
            Future<List<byte[]>> crowded = pool.submit(() -> result(sample(model.name(), 42, 3, Sampler.SAMPLER_DDIM, 30)));
            Future<List<byte[]>> ddpm = pool.submit(() -> result(sample(model.name(), 1, 2, Sampler.SAMPLER_DDPM, 400)));
            Future<List<byte[]>> other = pool.submit(() -> result(sample(model.name(), 43, 1, Sampler.SAMPLER_DDIM, 30)));
            assertThat(crowded.get(60, TimeUnit.SECONDS).get(0)).isEqualTo(alone);
            assertThat(other.get(60, TimeUnit.SECONDS).get(0)).isNotEqualTo(alone);
            assertThat(ddpm.get(60, TimeUnit.SECONDS)).hasSize(2);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aNewVersionIsSwappedInUnderLoadWithoutAFailedRequest() throws Exception {
        String name = name("swap");
        GaussianModel v1 = publish(new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.2, 1, 16));
        LoadedModel first = registry.current().get(name);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger();
        List<String> versions = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            clients.add(pool.submit(() -> {
                while (!stop.get()) {
                    Response r = given().contentType("application/json")
                            .body("{\"model\":\"" + name + "\",\"count\":2,\"steps\":40,\"output\":\"grid\"}").post("/v1/samples");
                    if (r.statusCode() == 200) {
                        versions.add(r.header("X-Model-Version"));
                    } else if (r.statusCode() != 429) {
                        failures.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        Thread.sleep(1000);
        publish(new GaussianModel(name, "v2", GaussianModel.pattern(1, 16, 2), 0.2, 1, 16));
        await().atMost(Duration.ofSeconds(30)).until(() -> versions.contains("v2"));
        Thread.sleep(500);
        stop.set(true);
        for (Future<?> client : clients) {
            client.get(60, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
        assertThat(failures.get()).isZero();
        assertThat(versions).contains("v1", "v2");
        // Once v2 served, only v2 serves; v1 is closed after its last request (memory does not pile up).
        assertThat(versions.subList(versions.lastIndexOf("v1") + 1, versions.size())).containsOnly("v2");
        await().atMost(Duration.ofSeconds(10)).until(first::closed);
        assertThat(v1.version()).isEqualTo(first.version());
    }

    @Test
    void aCorruptOrInconsistentVersionIsRejectedAndTheCurrentOneKeepsServing() {
        String name = name("reject");
        publish(new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.2, 1, 16));

        // v2: the graph's bytes changed after the manifest recorded their sha256.
        GaussianModel v2 = new GaussianModel(name, "v2", GaussianModel.pattern(1, 16, 1), 0.2, 1, 16);
        byte[] graph = v2.graph();
        var honest = new dev.ddpm.core.events.ObjectRef(Buckets.MODELS, name + "/v2/unet.onnx", graph.length,
                dev.ddpm.core.storage.Sha256.of(graph));
        byte[] tampered = graph.clone();
        tampered[tampered.length - 1] ^= 1;
        store.put(Buckets.MODELS, honest.key(), tampered, "application/octet-stream");
        var v2Manifest = store.putJson(Buckets.MODELS, name + "/v2/manifest.json", v2.manifest(graph, honest, java.time.Instant.now()));
        events.publishAndWait(dev.ddpm.core.events.CloudEvent.of("/tests", new dev.ddpm.core.events.ModelPublished(
                name, "v2", v2Manifest.key(), v2Manifest.sha256())), Duration.ofSeconds(10));
        // v3: a manifest that says 8x8 for a 16x16 graph.
        GaussianModel v3 = new GaussianModel(name, "v3", GaussianModel.pattern(1, 8, 0), 0.2, 1, 8);
        byte[] graph16 = new GaussianModel(name, "v3", GaussianModel.pattern(1, 16, 0), 0.2, 1, 16).graph();
        var ref = store.put(Buckets.MODELS, name + "/v3/unet.onnx", graph16, "application/octet-stream");
        var manifestRef = store.putJson(Buckets.MODELS, name + "/v3/manifest.json", v3.manifest(graph16, ref, java.time.Instant.now()));
        events.publishAndWait(dev.ddpm.core.events.CloudEvent.of("/tests", new dev.ddpm.core.events.ModelPublished(
                name, "v3", manifestRef.key(), manifestRef.sha256())), Duration.ofSeconds(10));

        // v4: a manifest that declares fewer bytes than its graph has (refused while reading, one byte past).
        GaussianModel v4 = new GaussianModel(name, "v4", GaussianModel.pattern(1, 16, 1), 0.2, 1, 16);
        byte[] graph4 = v4.graph();
        var stored4 = store.put(Buckets.MODELS, name + "/v4/unet.onnx", graph4, "application/octet-stream");
        // the manifest records the size of the array it is given: 100 bytes
        var v4Manifest = store.putJson(Buckets.MODELS, name + "/v4/manifest.json", v4.manifest(new byte[100], stored4,
                java.time.Instant.now()));
        events.publishAndWait(dev.ddpm.core.events.CloudEvent.of("/tests", new dev.ddpm.core.events.ModelPublished(
                name, "v4", v4Manifest.key(), v4Manifest.sha256())), Duration.ofSeconds(10));

        List<ModelRejected> rejections = rejections(name, 3);
        assertThat(rejections).extracting(ModelRejected::version).contains("v2", "v3", "v4");
        assertThat(rejections).anySatisfy(r -> assertThat(r.reason()).contains("sha256"));
        assertThat(rejections).anySatisfy(r -> assertThat(r.reason()).contains("shape"));
        assertThat(rejections).anySatisfy(r -> assertThat(r.reason()).contains("size mismatch, declared 100 bytes"));
        assertThat(registry.current().get(name).version()).isEqualTo("v1");
        given().contentType("application/json").body("{\"model\":\"" + name + "\",\"steps\":10}").post("/v1/samples")
                .then().statusCode(200).header("X-Model-Version", "v1");
    }

    @Test
    void cancellingFreesTheSlotsAtTheNextStep() {
        GaussianModel model = publish(new GaussianModel(name("cancel"), "v1", GaussianModel.pattern(3, 64, 0), 0.3, 3, 64));
        Context.CancellableContext context = Context.current().withCancellation();
        AtomicInteger steps = new AtomicInteger();
        context.run(() -> {
            Iterator<SampleEvent> stream = SamplerServiceGrpc.newBlockingStub(channel).sample(request(model.name(), 1, 8,
                    Sampler.SAMPLER_DDPM, 1000));
            while (stream.hasNext() && steps.get() < 3) {
                SampleEvent event = stream.next();
                if (event.hasProgress() && event.getProgress().getStep() > 0) {
                    steps.set(event.getProgress().getStep());
                }
            }
        });
        assertThat(batcher.activeRequests()).isEqualTo(1);
        context.cancel(null);
        await().atMost(Duration.ofSeconds(5)).until(() -> batcher.activeRequests() == 0);
        assertThat(registry.current().get(model.name()).activeLeases()).isZero();
    }

    @Test
    void aRestClientThatDisconnectsFreesItsSlotsAtTheNextStep() throws Exception {
        GaussianModel model = publish(new GaussianModel(name("hangup"), "v1", GaussianModel.pattern(3, 64, 0), 0.3, 3, 64));
        String body = "{\"model\":\"" + model.name() + "\",\"count\":8,\"sampler\":\"ddpm\",\"output\":\"grid\"}";
        try (java.net.Socket socket = new java.net.Socket("localhost", RestAssured.port)) {
            socket.getOutputStream().write(("POST /v1/samples HTTP/1.1\r\nHost: localhost\r\nX-Operator-Key: " + OPERATOR_KEY
                    + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> batcher.activeRequests() == 1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> batcher.activeRequests() == 0 && batcher.backlogEvaluations() == 0);
        assertThat(registry.current().get(model.name()).activeLeases()).isZero();
    }

    @Test
    void aRequestThatCannotMeetItsDeadlineIsRefusedAtOnce() {
        GaussianModel model = publish(new GaussianModel(name("deadline"), "v1", GaussianModel.pattern(3, 64, 0), 0.3, 3, 64));
        given().contentType("application/json").body("{\"model\":\"" + model.name() + "\",\"count\":8,\"steps\":20}")
                .post("/v1/samples").then().statusCode(200); // the batcher has measured its turns
        long start = System.nanoTime();
        given().contentType("application/json").body("{\"model\":\"" + model.name()
                        + "\",\"count\":64,\"sampler\":\"ddpm\",\"deadlineSeconds\":0.05}").post("/v1/samples")
                .then().statusCode(504).contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.containsString("cannot finish within its deadline"));
        assertThat((System.nanoTime() - start) / 1e9).as("refused, not queued").isLessThan(2);

        // The caller's own gRPC deadline counts as the request's deadline.
        assertThatThrownBy(() -> result(SamplerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                .sample(request(model.name(), 1, 64, Sampler.SAMPLER_DDPM, 1000))))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                    assertThat(e.getStatus().getDescription()).contains("cannot finish within its deadline");
                });
        assertThat(batcher.backlogEvaluations()).isZero();
    }

    @Test
    void aCancelledAsynchronousJobEndsAsCancelledAndFreesItsSlots() throws Exception {
        GaussianModel model = publish(new GaussianModel(name("job-cancel"), "v1", GaussianModel.pattern(3, 64, 0), 0.3, 3, 64));
        String job = name("job-cancel");
        events.publishAndWait(dev.ddpm.core.events.CloudEvent.of("/tests", asyncJob(job, model.name(), null, 64, SamplerKind.DDPM, null, null, 1L, dev.ddpm.core.events.OutputFormat.GRID)),
                Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(30)).until(() -> batcher.activeRequests() == 1);
        events.publishAndWait(dev.ddpm.core.events.CloudEvent.of("/tests",
                new dev.ddpm.core.events.SampleJobCancelRequested(job)), Duration.ofSeconds(10));
        assertThat(result(job)).isInstanceOfSatisfying(dev.ddpm.core.events.SampleJobFailed.class,
                failed -> assertThat(failed.cancelled()).isTrue());
        await().atMost(Duration.ofSeconds(5)).until(() -> batcher.activeRequests() == 0 && batcher.backlogEvaluations() == 0);
        assertThat(store.exists(Buckets.SAMPLES, job + "/result.json")).isFalse();
    }

    @Test
    void theVersionPublishedLastServesWhateverDateItsManifestClaims() {
        String name = name("dated");
        new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.2, 1, 16)
                .publishDated(store, events, java.time.Instant.parse("9999-01-01T00:00:00Z"));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.current().containsKey(name));
        publish(new GaussianModel(name, "v2", GaussianModel.pattern(1, 16, 1), 0.2, 1, 16));
        assertThat(registry.current().get(name).version()).isEqualTo("v2");
    }

    @Test
    void pinnedVersionsBeyondTheCapAreUnloadedLeastRecentlyUsedFirst() {
        String name = name("pins");
        for (int v = 1; v <= 4; v++) {
            publish(new GaussianModel(name, "v" + v, GaussianModel.pattern(1, 16, v), 0.2, 1, 16));
        }
        for (String version : List.of("v1", "v2", "v1", "v3")) {
            given().contentType("application/json").body("{\"model\":\"" + name + "\",\"version\":\"" + version
                    + "\",\"steps\":2}").post("/v1/samples").then().statusCode(200).header("X-Model-Version", version);
        }
        // Two pinned at most (test profile): v2, used least recently, made room for v3.
        assertThat(registry.pinnedVersions()).filteredOn(k -> k.startsWith(name + "/"))
                .containsExactly(name + "/v1", name + "/v3");
    }

    @Test
    void aFullQueueIsRefusedWithARetryHint() throws Exception {
        GaussianModel model = publish(new GaussianModel(name("busy"), "v1", GaussianModel.pattern(3, 64, 1), 0.3, 3, 64));
        ExecutorService pool = Executors.newFixedThreadPool(12);
        List<Future<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            calls.add(pool.submit((Callable<Response>) () -> given().contentType("application/json")
                    .body("{\"model\":\"" + model.name() + "\",\"count\":8,\"steps\":60,\"output\":\"grid\"}").post("/v1/samples")));
        }
        int refused = 0;
        int served = 0;
        for (Future<Response> call : calls) {
            Response r = call.get(120, TimeUnit.SECONDS);
            if (r.statusCode() == 429) {
                refused++;
                assertThat(r.header("Retry-After")).isEqualTo("2");
                assertThat(r.contentType()).startsWith("application/problem+json");
            } else {
                assertThat(r.statusCode()).isEqualTo(200);
                served++;
            }
        }
        pool.shutdownNow();
        System.out.printf("queue overflow: %d served, %d refused%n", served, refused);
        assertThat(refused).isPositive();
        assertThat(served).isGreaterThanOrEqualTo(5); // one running + four queued at least
    }

    @Test
    void badRequestsAreAnsweredPrecisely() {
        GaussianModel model = publish(new GaussianModel(name("bad"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        given().contentType("application/json").body("{\"model\":\"" + model.name() + "\",\"steps\":5000}").post("/v1/samples")
                .then().statusCode(400).contentType("application/problem+json").body("field", org.hamcrest.Matchers.equalTo("steps"));
        given().contentType("application/json").body("{\"model\":\"" + model.name() + "\",\"eta\":1.5}").post("/v1/samples")
                .then().statusCode(400).body("field", org.hamcrest.Matchers.equalTo("eta"));
        given().contentType("application/json").body("{\"model\":\"no-such-model\"}").post("/v1/samples").then().statusCode(404);
        given().contentType("application/json").body("{\"model\":\"" + model.name() + "\",\"sampler\":\"dpm++\",\"order\":4}")
                .post("/v1/samples").then().statusCode(400).body("field", org.hamcrest.Matchers.equalTo("order"));
        given().contentType("application/json").body("{\"model\":\"" + model.name() + "\",\"sampler\":\"ddim\",\"order\":2}")
                .post("/v1/samples").then().statusCode(400).body("detail", org.hamcrest.Matchers.containsString("dpm++ and unipc"));
        given().contentType("application/json").body("{\"model\":\"" + model.name() + "\",\"sampler\":\"rk4\"}")
                .post("/v1/samples").then().statusCode(400).body("field", org.hamcrest.Matchers.equalTo("sampler"));
        given().contentType("application/json").body("{\"model\":\"" + model.name() + "\",\"spacing\":\"uniform\"}")
                .post("/v1/samples").then().statusCode(400).body("field", org.hamcrest.Matchers.equalTo("spacing"));
        SampleRequest unipc = request(model.name(), 1, 1, Sampler.SAMPLER_UNIPC, 10);
        SampleRequest orderFive = unipc.toBuilder().setParams(unipc.getParams().toBuilder().setOrder(5)).build();
        assertThatThrownBy(() -> result(SamplerServiceGrpc.newBlockingStub(channel).sample(orderFive)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).startsWith("order");
                });
        given().contentType("application/json").body("{\"model\":\"../x\"}").post("/v1/samples").then().statusCode(400);
        assertThatThrownBy(() -> result(sample(model.name(), 1, -2, Sampler.SAMPLER_DDIM, 10)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).startsWith("count");
                });
        assertThatThrownBy(() -> result(sample("no-such-model", 1, 1, Sampler.SAMPLER_DDIM, 10)))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void progressAndPreviewsStreamBeforeTheResult() throws IOException {
        GaussianModel model = publish(new GaussianModel(name("stream"), "v1", GaussianModel.pattern(1, 16, 3), 0.3, 1, 16));
        SampleRequest request = SampleRequest.newBuilder().setParams(SampleParams.newBuilder()
                .setModel(ModelRef.newBuilder().setName(model.name())).setCount(2).setSampler(Sampler.SAMPLER_DDIM)
                .setSteps(20).setPreviewEvery(5).setOutput(OutputFormat.OUTPUT_FORMAT_GRID)).build();
        List<Integer> steps = new ArrayList<>();
        List<Integer> previewSteps = new ArrayList<>();
        SampleEvent last = null;
        for (Iterator<SampleEvent> it = SamplerServiceGrpc.newBlockingStub(channel).sample(request); it.hasNext(); ) {
            last = it.next();
            if (last.hasProgress() && last.getProgress().getQueuePosition() == 0) {
                steps.add(last.getProgress().getStep());
                assertThat(last.getProgress().getTotalSteps()).isEqualTo(20);
            } else if (last.hasPreview()) {
                previewSteps.add(last.getPreview().getStep());
                assertThat(ImageIO.read(new ByteArrayInputStream(last.getPreview().getPng().toByteArray())).getWidth()).isEqualTo(16);
            }
        }
        assertThat(steps).containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 20).boxed().toList());
        assertThat(previewSteps).containsExactly(5, 5, 10, 10, 15, 15);
        assertThat(last.hasResult()).isTrue();
        assertThat(last.getResult().getModel().getVersion()).isEqualTo("v1");
        BufferedImage grid = ImageIO.read(new ByteArrayInputStream(last.getResult().getImages(0).getData().toByteArray()));
        assertThat(grid.getWidth()).isEqualTo(2 * 16 + 3 * 2);
    }

    @Test
    void operatorsPinLoadAndUnloadVersions() {
        String name = name("ops");
        publish(new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        publish(new GaussianModel(name, "v2", GaussianModel.pattern(1, 16, 2), 0.3, 1, 16));
        // A request may pin a version; the current one is the newer.
        given().contentType("application/json").body("{\"model\":\"" + name + "\",\"version\":\"v1\",\"steps\":5}")
                .post("/v1/samples").then().statusCode(200).header("X-Model-Version", "v1");
        given().contentType("application/json").body("{\"model\":\"" + name + "\",\"steps\":5}")
                .post("/v1/samples").then().statusCode(200).header("X-Model-Version", "v2");
        given().contentType("application/json").body("{\"model\":\"" + name + "\",\"version\":\"v9\"}")
                .post("/v1/samples").then().statusCode(404);
        given().get("/v1/models/" + name).then().statusCode(200)
                .body("loaded.version", org.hamcrest.Matchers.equalTo("v2"))
                .body("versions", org.hamcrest.Matchers.contains("v2", "v1"));
        given().delete("/v1/models/" + name).then().statusCode(204);
        given().contentType("application/json").body("{\"model\":\"" + name + "\",\"steps\":5}")
                .post("/v1/samples").then().statusCode(404);
        given().post("/v1/models/" + name + "/load").then().statusCode(200).body("version", org.hamcrest.Matchers.equalTo("v2"));
        given().get("/v1/models").then().statusCode(200).body("name", org.hamcrest.Matchers.hasItem(name));
        given().get("/q/metrics").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("ddpm_sampler_execution_provider{provider=\"cpu\"} 1.0"))
                // the version served by default, and only that one, for the dashboard's model-versions panel
                .body(org.hamcrest.Matchers.containsString("ddpm_sampler_model_info{model=\"" + name + "\",version=\"v2\"} 1.0"))
                .body(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString(
                        "ddpm_sampler_model_info{model=\"" + name + "\",version=\"v1\"}")));
    }

    @Test
    void aGraphThatDoesNotParseIsRejected() {
        String name = name("garbage");
        publish(new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        GaussianModel v2 = new GaussianModel(name, "v2", GaussianModel.pattern(1, 16, 1), 0.3, 1, 16);
        byte[] garbage = "this is not an onnx model".getBytes();
        var ref = store.put(Buckets.MODELS, name + "/v2/unet.onnx", garbage, "application/octet-stream");
        var manifestRef = store.putJson(Buckets.MODELS, name + "/v2/manifest.json", v2.manifest(garbage, ref, java.time.Instant.now()));
        events.publishAndWait(dev.ddpm.core.events.CloudEvent.of("/tests", new dev.ddpm.core.events.ModelPublished(
                name, "v2", manifestRef.key(), manifestRef.sha256())), Duration.ofSeconds(10));
        assertThat(rejections(name, 1)).singleElement().satisfies(r -> assertThat(r.reason()).contains("does not load"));
        assertThat(registry.current().get(name).version()).isEqualTo("v1");
        given().post("/v1/models/" + name + "/load?version=v2").then().statusCode(422);
    }

    @Test
    void asynchronousJobsStoreTheirResultsAndAnnounceThem() throws Exception {
        GaussianModel model = publish(new GaussianModel(name("jobs"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        String videoJob = name("video");
        String pngJob = name("png");
        String badJob = name("bad");
        events.publishAndWait(dev.ddpm.core.events.CloudEvent.of("/tests", asyncJob(videoJob, model.name(), null, 4, SamplerKind.DDIM, 20, 0.0, 5L, dev.ddpm.core.events.OutputFormat.VIDEO)),
                Duration.ofSeconds(10));
        events.publishAndWait(dev.ddpm.core.events.CloudEvent.of("/tests", asyncJob(pngJob, model.name(), "v1", 3, SamplerKind.DDPM, 50, null, 6L, dev.ddpm.core.events.OutputFormat.PNG)),
                Duration.ofSeconds(10));
        events.publishAndWait(dev.ddpm.core.events.CloudEvent.of("/tests", asyncJob(badJob, "no-such-model", null, 1, SamplerKind.DDIM, 10, null, 1L, dev.ddpm.core.events.OutputFormat.PNG)),
                Duration.ofSeconds(10));

        var video = (dev.ddpm.core.events.SampleJobCompleted) result(videoJob);
        assertThat(video.version()).isEqualTo("v1");
        assertThat(video.results()).extracting(dev.ddpm.core.events.ObjectRef::key)
                .containsExactly(videoJob + "/image-0.gif", videoJob + "/image-1.mp4");
        // x_T and then the steps the schedule shows, in order, ending on the image the same request makes as a grid.
        int frames = dev.ddpm.core.diffusion.AnimationFrames.stepsShown(20, dev.ddpm.core.diffusion.AnimationFrames.DEFAULT_FRAMES).length;
        var gif = dev.ddpm.sampler.output.VideoFrames.gif(store.get(video.results().get(0)));
        assertThat(gif).as("frames of the reverse process").hasSize(frames);
        var mp4 = dev.ddpm.sampler.output.VideoFrames.mp4(store.get(video.results().get(1)));
        assertThat(mp4).as("the same frames, the last held 1.5 s at 10 frames/s").hasSize(frames + 14);
        byte[] grid = given().contentType("application/json").body("{\"model\":\"" + model.name()
                + "\",\"count\":4,\"sampler\":\"ddim\",\"steps\":20,\"eta\":0,\"seed\":5,\"output\":\"grid\"}")
                .post("/v1/samples").then().statusCode(200).extract().asByteArray();
        var finalImage = ImageIO.read(new ByteArrayInputStream(grid));
        assertThat(dev.ddpm.sampler.output.VideoFrames.meanDifference(finalImage, gif.get(frames - 1), 1)).isLessThan(2);
        assertThat(dev.ddpm.sampler.output.VideoFrames.meanDifference(finalImage, gif.get(0), 1))
                .as("the first frame is the starting noise").isGreaterThan(20);
        int scale = dev.ddpm.sampler.output.VideoFrames.mp4Scale(finalImage);
        assertThat(dev.ddpm.sampler.output.VideoFrames.meanDifference(finalImage, mp4.get(mp4.size() - 1), scale)).isLessThan(8);
        var png = (dev.ddpm.core.events.SampleJobCompleted) result(pngJob);
        assertThat(png.results()).hasSize(3);
        assertThat(ImageIO.read(new ByteArrayInputStream(store.get(png.results().get(2)))).getWidth()).isEqualTo(16);
        assertThat(store.exists(Buckets.SAMPLES, pngJob + "/result.json")).isTrue();
        var bad = (dev.ddpm.core.events.SampleJobFailed) result(badJob);
        assertThat(bad.reason()).contains("no-such-model");
    }

    /** A job carries the whole request: the settings only a body names (variance, clipping) change its images too. */
    @Test
    void anAsynchronousJobSamplesAsTheSameRequestMadeSynchronously() throws Exception {
        GaussianModel model = publish(new GaussianModel(name("whole"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        String job = name("whole-job");
        String defaults = "{\"model\":\"" + model.name() + "\",\"count\":4,\"sampler\":\"ddpm\",\"steps\":50,"
                + "\"seed\":9,\"output\":\"grid\"";
        String body = defaults + ",\"variance\":\"fixed_large\",\"clipX0\":false}";
        var request = dev.ddpm.core.json.Json.read(body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                dev.ddpm.core.api.SamplingRequest.class);
        events.publishAndWait(dev.ddpm.core.events.CloudEvent.of("/tests",
                new dev.ddpm.core.events.SampleJobRequested(job, request)), Duration.ofSeconds(10));

        var done = (dev.ddpm.core.events.SampleJobCompleted) result(job);
        BufferedImage asynchronous = ImageIO.read(new ByteArrayInputStream(store.get(done.results().get(0))));
        BufferedImage same = ImageIO.read(new ByteArrayInputStream(given().contentType("application/json").body(body)
                .post("/v1/samples").then().statusCode(200).extract().asByteArray()));
        BufferedImage withDefaults = ImageIO.read(new ByteArrayInputStream(given().contentType("application/json")
                .body(defaults + "}").post("/v1/samples").then().statusCode(200).extract().asByteArray()));
        double differenceToSame = dev.ddpm.sampler.output.VideoFrames.meanDifference(same, asynchronous, 1);
        double differenceToDefaults = dev.ddpm.sampler.output.VideoFrames.meanDifference(withDefaults, asynchronous, 1);
        assertThat(differenceToSame).isLessThan(0.5);
        assertThat(differenceToDefaults).as("what the job's variance and clipping change").isGreaterThan(2);
    }

    /**
     * Asynchronous jobs that arrive while interactive requests keep the queue full (4 places in
     * tests) wait for a place instead of failing as the interactive requests beyond it do.
     */
    @Test
    void jobsArrivingAtAFullQueueWaitForAPlaceAndComplete() throws Exception {
        GaussianModel model = publish(new GaussianModel(name("crowded"), "v1", GaussianModel.pattern(3, 64, 1), 0.3, 3, 64));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            clients.add(pool.submit(() -> {
                while (!stop.get()) {
                    Response r = given().contentType("application/json")
                            .body("{\"model\":\"" + model.name() + "\",\"count\":8,\"steps\":40,\"output\":\"grid\"}")
                            .post("/v1/samples");
                    if (r.statusCode() == 429) {
                        refused.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> refused.get() > 0); // the queue is full now
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String job = name("crowded-" + i);
            jobs.add(job);
            events.publishAndWait(dev.ddpm.core.events.CloudEvent.of("/tests", asyncJob(job, model.name(), null, 2, SamplerKind.DDIM, 10, null, (long) i, dev.ddpm.core.events.OutputFormat.PNG)),
                    Duration.ofSeconds(10));
        }
        Thread.sleep(3000); // the jobs meet the full queue
        stop.set(true);
        for (Future<?> client : clients) {
            client.get(120, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
        for (String job : jobs) {
            assertThat(result(job)).as(job).isInstanceOf(dev.ddpm.core.events.SampleJobCompleted.class);
        }
    }

    private dev.ddpm.core.events.EventData result(String jobId) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(Topic.SAMPLE_RESULTS.topicName()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (jobId.equals(record.key())) {
                        return ReceivedEvent.of(record).event().data();
                    }
                }
            }
        }
        throw new AssertionError("no result for job " + jobId);
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** A request with the operator key, as every operator call carries it. */
    private static io.restassured.specification.RequestSpecification given() {
        return RestAssured.given().header("x-operator-key", OPERATOR_KEY);
    }

    private GaussianModel publish(GaussianModel model) {
        model.publish(store, events);
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.current().containsKey(model.name())
                && registry.current().get(model.name()).version().equals(model.version()));
        return model;
    }

    private static String name(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static SampleRequest request(String model, long seed, int count, Sampler sampler, int steps) {
        return SampleRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setParams(SampleParams.newBuilder()
                .setModel(ModelRef.newBuilder().setName(model)).setSeed(seed).setCount(count).setSampler(sampler)
                .setSteps(steps).setOutput(OutputFormat.OUTPUT_FORMAT_PNG).setClipX0(true)).build();
    }

    private Iterator<SampleEvent> sample(String model, long seed, int count, Sampler sampler, int steps) {
        return SamplerServiceGrpc.newBlockingStub(channel).sample(request(model, seed, count, sampler, steps));
    }

    private static List<byte[]> result(Iterator<SampleEvent> stream) {
        while (stream.hasNext()) {
            SampleEvent event = stream.next();
            if (event.hasResult()) {
                return event.getResult().getImagesList().stream().map(i -> i.getData().toByteArray()).toList();
            }
        }
        throw new AssertionError("the stream ended without a result");
    }

    private static float[] pixels(byte[] png) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        float[] values = new float[image.getWidth() * image.getHeight()];
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                values[y * image.getWidth() + x] = ((image.getRGB(x, y) >> 16) & 0xff) / 127.5f - 1f;
            }
        }
        return values;
    }

    /** Mean and standard deviation of (image - mu) over all images and pixels. */
    private static double[] residual(List<float[]> images, float[] mu) {
        double sum = 0;
        double squares = 0;
        int n = 0;
        for (float[] image : images) {
            for (int i = 0; i < image.length; i++) {
                double r = image[i] - mu[i];
                sum += r;
                squares += r * r;
                n++;
            }
        }
        double mean = sum / n;
        return new double[]{mean, Math.sqrt(squares / n - mean * mean)};
    }

    private List<ModelRejected> rejections(String name, int atLeast) {
        List<ModelRejected> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(Topic.MODELS.topicName()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && found.size() < atLeast) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (name.equals(record.key()) && ReceivedEvent.of(record).event().data() instanceof ModelRejected r) {
                        found.add(r);
                    }
                }
            }
        }
        return found;
    }

    /** An asynchronous job with the request's defaults for what it does not name. */
    private static dev.ddpm.core.events.SampleJobRequested asyncJob(String jobId, String model, String version, int count,
                                                                  SamplerKind sampler, Integer steps, Double eta,
                                                                  long seed, dev.ddpm.core.events.OutputFormat output) {
        return new dev.ddpm.core.events.SampleJobRequested(jobId, new dev.ddpm.core.api.SamplingRequest(model, version,
                count, sampler, steps, eta, seed, output, null, null, null, null, null, null));
    }
}
