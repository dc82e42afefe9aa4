package dev.ddpm.sampler;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.events.ModelRejected;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.signing.ManifestSigner;
import dev.ddpm.core.signing.SigningKeys;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.Sha256;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.service.testing.GaussianModel;
import dev.ddpm.service.testing.TestOnlySigningKeys;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

/**
 * New model versions: swapped in under load without a failed request, the one published last
 * served, and tampered, inconsistent or unparsable ones rejected while the current one serves on.
 */
@QuarkusTest
class HotSwapTest extends SamplerTestBase {

    @Test
    void aGuideThatFailsItsSha256IsRejectedAndNothingIsServed() {
        String name = name("bad-guide");
        GaussianModel model = new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16);
        byte[] graph = model.graph();
        var graphRef = store.put(Buckets.MODELS, name + "/v1/unet.onnx", graph, "application/octet-stream");
        // The guide's bytes changed after the manifest recorded their sha256.
        byte[] guide = new GaussianModel(name, "v1", model.mu(), 0.6, 1, 16).graph();
        var honest = new ObjectRef(Buckets.MODELS, name + "/v1/guide.onnx", guide.length, Sha256.of(guide));
        byte[] tampered = guide.clone();
        tampered[tampered.length - 1] ^= 1;
        store.put(Buckets.MODELS, honest.key(), tampered, "application/octet-stream");
        var manifestRef = TestOnlySigningKeys.putSignedManifest(
                store, name + "/v1/manifest.json", model.guidedManifest(graph, graphRef, honest, 2, Instant.now()));
        events.publishAndWait(
                CloudEvent.of("/tests", new ModelPublished(name, "v1", manifestRef.key(), manifestRef.sha256())),
                Duration.ofSeconds(10));
        assertThat(rejections(name, 1))
                .first()
                .satisfies(r -> assertThat(r.reason()).contains("guide.onnx").contains("sha256"));
        assertThat(registry.current()).doesNotContainKey(name);
    }

    @Test
    void aNewVersionIsSwappedInUnderLoadWithoutAFailedRequest() throws Exception {
        String name = name("swap");
        GaussianModel v1 = publish(new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.2, 1, 16));
        LoadedModel first = registry.current().get(name);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger();
        List<String> versions = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            clients.add(pool.submit(() -> {
                while (!stop.get()) {
                    Response r = given().contentType("application/json")
                            .body("{\"model\":\"" + name + "\",\"count\":2,\"steps\":40,\"output\":\"grid\"}")
                            .post("/v1/samples");
                    if (r.statusCode() == 200) {
                        versions.add(r.header("X-Model-Version"));
                    } else if (r.statusCode() != 429) {
                        failures.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        // v1 has served before v2 arrives, however long the first calls of a cold test JVM take.
        await().atMost(Duration.ofSeconds(30)).until(() -> versions.contains("v1"));
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
        assertThat(versions.subList(versions.lastIndexOf("v1") + 1, versions.size()))
                .containsOnly("v2");
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
        var honest = new ObjectRef(Buckets.MODELS, name + "/v2/unet.onnx", graph.length, Sha256.of(graph));
        byte[] tampered = graph.clone();
        tampered[tampered.length - 1] ^= 1;
        store.put(Buckets.MODELS, honest.key(), tampered, "application/octet-stream");
        var v2Manifest = TestOnlySigningKeys.putSignedManifest(
                store, name + "/v2/manifest.json", v2.manifest(graph, honest, Instant.now()));
        events.publishAndWait(
                CloudEvent.of("/tests", new ModelPublished(name, "v2", v2Manifest.key(), v2Manifest.sha256())),
                Duration.ofSeconds(10));
        // v3: a manifest that says 8x8 for a 16x16 graph.
        GaussianModel v3 = new GaussianModel(name, "v3", GaussianModel.pattern(1, 8, 0), 0.2, 1, 8);
        byte[] graph16 = new GaussianModel(name, "v3", GaussianModel.pattern(1, 16, 0), 0.2, 1, 16).graph();
        var ref = store.put(Buckets.MODELS, name + "/v3/unet.onnx", graph16, "application/octet-stream");
        var manifestRef = TestOnlySigningKeys.putSignedManifest(
                store, name + "/v3/manifest.json", v3.manifest(graph16, ref, Instant.now()));
        events.publishAndWait(
                CloudEvent.of("/tests", new ModelPublished(name, "v3", manifestRef.key(), manifestRef.sha256())),
                Duration.ofSeconds(10));

        // v4: a manifest that declares fewer bytes than its graph has (refused while reading, one byte past).
        GaussianModel v4 = new GaussianModel(name, "v4", GaussianModel.pattern(1, 16, 1), 0.2, 1, 16);
        byte[] graph4 = v4.graph();
        var stored4 = store.put(Buckets.MODELS, name + "/v4/unet.onnx", graph4, "application/octet-stream");
        // the manifest records the size of the array it is given: 100 bytes
        var v4Manifest = TestOnlySigningKeys.putSignedManifest(
                store, name + "/v4/manifest.json", v4.manifest(new byte[100], stored4, Instant.now()));
        events.publishAndWait(
                CloudEvent.of("/tests", new ModelPublished(name, "v4", v4Manifest.key(), v4Manifest.sha256())),
                Duration.ofSeconds(10));

        List<ModelRejected> rejections = rejections(name, 3);
        assertThat(rejections).extracting(ModelRejected::version).contains("v2", "v3", "v4");
        assertThat(rejections).anySatisfy(r -> assertThat(r.reason()).contains("sha256"));
        assertThat(rejections).anySatisfy(r -> assertThat(r.reason()).contains("shape"));
        assertThat(rejections).anySatisfy(r -> assertThat(r.reason()).contains("size mismatch, declared 100 bytes"));
        assertThat(registry.current().get(name).version()).isEqualTo("v1");
        given().contentType("application/json")
                .body("{\"model\":\"" + name + "\",\"steps\":10}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .header("X-Model-Version", "v1");
    }

    @Test
    void aVersionNotSignedByATrustedKeyIsRejectedAndTheCurrentOneKeepsServing() {
        String name = name("unsigned");
        publish(new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.2, 1, 16));

        // v2: signed, then its manifest rewritten (here: its metrics) by someone without the key.
        GaussianModel v2 = new GaussianModel(name, "v2", GaussianModel.pattern(1, 16, 1), 0.2, 1, 16);
        ObjectRef graph2 = store.put(Buckets.MODELS, name + "/v2/unet.onnx", v2.graph(), "application/octet-stream");
        TestOnlySigningKeys.putSignedManifest(
                store, name + "/v2/manifest.json", v2.manifest(v2.graph(), graph2, Instant.now()));
        ObjectRef rewritten = store.putJson(
                Buckets.MODELS,
                name + "/v2/manifest.json",
                new GaussianModel(name, "v2", v2.mu(), 0.4, 1, 16).manifest(v2.graph(), graph2, Instant.now()));
        announce(name, "v2", rewritten);
        // v3: signed by a key the sampler does not trust.
        GaussianModel v3 = new GaussianModel(name, "v3", GaussianModel.pattern(1, 16, 2), 0.2, 1, 16);
        ObjectRef graph3 = store.put(Buckets.MODELS, name + "/v3/unet.onnx", v3.graph(), "application/octet-stream");
        ManifestSigner stranger = new ManifestSigner(SigningKeys.generate().getPrivate());
        announce(
                name,
                "v3",
                stranger.putJson(
                        store,
                        Buckets.MODELS,
                        name + "/v3/manifest.json",
                        v3.manifest(v3.graph(), graph3, Instant.now())));
        // v4: not signed at all.
        GaussianModel v4 = new GaussianModel(name, "v4", GaussianModel.pattern(1, 16, 3), 0.2, 1, 16);
        ObjectRef graph4 = store.put(Buckets.MODELS, name + "/v4/unet.onnx", v4.graph(), "application/octet-stream");
        announce(
                name,
                "v4",
                store.putJson(
                        Buckets.MODELS, name + "/v4/manifest.json", v4.manifest(v4.graph(), graph4, Instant.now())));
        // v5: correctly signed, then its graph swapped for another well-formed one.
        GaussianModel v5 = new GaussianModel(name, "v5", GaussianModel.pattern(1, 16, 1), 0.2, 1, 16);
        ObjectRef graph5 = store.put(Buckets.MODELS, name + "/v5/unet.onnx", v5.graph(), "application/octet-stream");
        ObjectRef manifest5 = TestOnlySigningKeys.putSignedManifest(
                store, name + "/v5/manifest.json", v5.manifest(v5.graph(), graph5, Instant.now()));
        store.put(Buckets.MODELS, graph5.key(), v3.graph(), "application/octet-stream");
        announce(name, "v5", manifest5);

        List<ModelRejected> rejections = rejections(name, 4);
        assertThat(rejections).extracting(ModelRejected::version).contains("v2", "v3", "v4", "v5");
        assertThat(reason(rejections, "v2")).contains("does not match the manifest's bytes");
        assertThat(reason(rejections, "v3"))
                .contains("signed by key " + stranger.keyId() + ", which is not trusted here");
        assertThat(reason(rejections, "v4")).contains("is not signed (no " + name + "/v4/manifest.json.sig)");
        assertThat(reason(rejections, "v5")).contains("unet.onnx").contains("fails its sha256");
        given().get("/q/metrics")
                .then()
                .body(containsString(
                        "ddpm_sampler_model_rejections_total{check=\"signature\",model=\"" + name + "\"} 3.0"));
        assertThat(registry.current().get(name).version()).isEqualTo("v1");
        given().contentType("application/json")
                .body("{\"model\":\"" + name + "\",\"steps\":10}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .header("X-Model-Version", "v1");

        // Signed as the trainer signs: served.
        publish(new GaussianModel(name, "v6", GaussianModel.pattern(1, 16, 2), 0.2, 1, 16));
        assertThat(registry.current().get(name).version()).isEqualTo("v6");
    }

    private void announce(String name, String version, ObjectRef manifest) {
        events.publishAndWait(
                CloudEvent.of("/tests", new ModelPublished(name, version, manifest.key(), manifest.sha256())),
                Duration.ofSeconds(10));
    }

    private static String reason(List<ModelRejected> rejections, String version) {
        return rejections.stream()
                .filter(r -> r.version().equals(version))
                .findFirst()
                .orElseThrow()
                .reason();
    }

    @Test
    void theVersionPublishedLastServesWhateverDateItsManifestClaims() {
        String name = name("dated");
        new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.2, 1, 16)
                .publishDated(store, events, Instant.parse("9999-01-01T00:00:00Z"));
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.current().containsKey(name));
        publish(new GaussianModel(name, "v2", GaussianModel.pattern(1, 16, 1), 0.2, 1, 16));
        assertThat(registry.current().get(name).version()).isEqualTo("v2");
    }

    @Test
    void aGraphThatDoesNotParseIsRejected() {
        String name = name("garbage");
        publish(new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        GaussianModel v2 = new GaussianModel(name, "v2", GaussianModel.pattern(1, 16, 1), 0.3, 1, 16);
        byte[] garbage = "this is not an onnx model".getBytes();
        var ref = store.put(Buckets.MODELS, name + "/v2/unet.onnx", garbage, "application/octet-stream");
        var manifestRef = TestOnlySigningKeys.putSignedManifest(
                store, name + "/v2/manifest.json", v2.manifest(garbage, ref, Instant.now()));
        events.publishAndWait(
                CloudEvent.of("/tests", new ModelPublished(name, "v2", manifestRef.key(), manifestRef.sha256())),
                Duration.ofSeconds(10));
        assertThat(rejections(name, 1))
                .singleElement()
                .satisfies(r -> assertThat(r.reason()).contains("does not load"));
        assertThat(registry.current().get(name).version()).isEqualTo("v1");
        given().post("/v1/models/" + name + "/load?version=v2").then().statusCode(422);
    }

    private List<ModelRejected> rejections(String name, int atLeast) {
        List<ModelRejected> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(Topic.MODELS.topicName()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && found.size() < atLeast) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (name.equals(record.key())
                            && ReceivedEvent.of(record).event().data() instanceof ModelRejected r) {
                        found.add(r);
                    }
                }
            }
        }
        return found;
    }
}
