package dev.ddpm.sampler;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.ModelAliasChanged;
import dev.ddpm.core.lifecycle.CanarySplit;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.Sha256;
import dev.ddpm.proto.common.v1.ListModelsRequest;
import dev.ddpm.proto.sampler.v1.SamplerServiceGrpc;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.engine.OnnxEngine;
import dev.ddpm.sampler.messaging.outgoing.SamplerEvents;
import dev.ddpm.sampler.registry.InitialModels;
import dev.ddpm.sampler.registry.ModelRegistry;
import dev.ddpm.service.testing.GaussianModel;
import dev.ddpm.service.testing.TestOnlySigningKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

/**
 * Serving by alias: a new version is a candidate that serves only when asked for by name or alias;
 * promotions, rollbacks and canary splits, announced on ddpm.models after the alias document is
 * written ({@link ModelLifecycle}, as the gateway and the trainer make them), change what requests
 * without a version get, without a failed request; a missed announcement takes effect at the next
 * re-read, a replayed one changes nothing, and a fresh registry serves the current production.
 */
@QuarkusTest
class ModelAliasesTest extends SamplerTestBase {

    /** How long a change may take to reach what requests get. */
    private static final Duration BOUND = Duration.ofSeconds(15);

    @Inject
    InitialModels initialModels;

    @Inject
    OnnxEngine engine;

    @Inject
    SamplerEvents samplerEvents;

    @Inject
    SamplerConfig config;

    @Test
    void aNewVersionIsACandidateThatServesOnlyWhenAskedFor() {
        String name = name("candidate");
        ModelLifecycle lifecycle = lifecycle();
        release(lifecycle, gaussian(name, "v1"));
        release(lifecycle, gaussian(name, "v2"));
        awaitRevision(name, 2);

        for (long seed = 1; seed <= 5; seed++) {
            assertThat(served(name, seed, null)).isEqualTo("v1");
        }
        assertThat(served(name, 1, "candidate")).isEqualTo("v2");
        assertThat(served(name, 1, "production")).isEqualTo("v1");
        assertThat(served(name, 1, "v2")).isEqualTo("v2");
        given().get("/v1/models/" + name)
                .then()
                .statusCode(200)
                .body("loaded.version", equalTo("v1"))
                .body("aliases.production", equalTo("v1"))
                .body("aliases.candidate", equalTo("v2"))
                .body("canary", nullValue())
                .body("revision", equalTo(2));
        assertThat(SamplerServiceGrpc.newBlockingStub(channel)
                        .listModels(ListModelsRequest.getDefaultInstance())
                        .getModelsList())
                .filteredOn(info -> info.getName().equals(name))
                .singleElement()
                .satisfies(info -> {
                    assertThat(info.getVersion()).isEqualTo("v1");
                    assertThat(info.getAliasesMap()).containsEntry("production", "v1");
                    assertThat(info.getAliasesMap()).containsEntry("candidate", "v2");
                    assertThat(info.getCanaryVersion()).isEmpty();
                });
    }

    @Test
    void promotionAndRollbackReachEveryRequestWithoutAFailedOne() throws Exception {
        String name = name("promote");
        ModelLifecycle lifecycle = lifecycle();
        release(lifecycle, gaussian(name, "v1"));
        release(lifecycle, gaussian(name, "v2"));
        awaitRevision(name, 2);
        LoadedModel first = registry.current().get(name);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger();
        List<List<String>> servedPerClient = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            List<String> versions = Collections.synchronizedList(new ArrayList<>());
            servedPerClient.add(versions);
            clients.add(pool.submit(() -> {
                while (!stop.get()) {
                    Response r = given().contentType("application/json")
                            .body("{\"model\":\"" + name + "\",\"steps\":40}")
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
        await().atMost(Duration.ofSeconds(30))
                .until(() -> servedPerClient.stream().allMatch(v -> v.contains("v1")));
        lifecycle.promote(name, "v2", "operator", "better");
        await().atMost(BOUND).until(() -> servedPerClient.stream().allMatch(v -> v.contains("v2")));
        lifecycle.rollback(name, "operator", "worse after all");
        await().atMost(BOUND)
                .until(() -> servedPerClient.stream().allMatch(v -> v.lastIndexOf("v1") > v.indexOf("v2")));
        stop.set(true);
        for (Future<?> client : clients) {
            client.get(60, TimeUnit.SECONDS);
        }
        pool.shutdownNow();

        // Requests in flight during each change finished on the version they had started with.
        assertThat(failures.get()).isZero();
        // Each client got v1, then from its first v2 on only v2 until the rollback, then only v1: a
        // change, once it served, is what every later request without a version got.
        for (List<String> versions : servedPerClient) {
            List<String> runs = new ArrayList<>();
            for (String version : versions) {
                if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(version)) {
                    runs.add(version);
                }
            }
            assertThat(runs)
                    .as("versions one client got, in order: %s", versions)
                    .containsExactly("v1", "v2", "v1");
        }
        // The first v1 closed after its last request; the rollback loaded v1 afresh.
        await().atMost(Duration.ofSeconds(10)).until(first::closed);
        assertThat(served(name, 7, null)).isEqualTo("v1");
        assertThat(registry.aliases(name).orElseThrow().revision()).isEqualTo(4);
    }

    @Test
    void aCanarySplitsRequestsBySeedAndCountsThemPerVersion() {
        String name = name("canary");
        ModelLifecycle lifecycle = lifecycle();
        release(lifecycle, gaussian(name, "v1"));
        release(lifecycle, gaussian(name, "v2"));
        lifecycle.canary(name, new CanarySplit("v2", 50), "operator");
        awaitRevision(name, 3);

        Map<Long, String> bySeed = new HashMap<>();
        CanarySplit split = new CanarySplit("v2", 50);
        for (long seed = 1; seed <= 200; seed++) {
            bySeed.put(seed, served(name, seed, null));
            // The split's own rule decides, so every replica (and the gateway) agrees on a seed.
            assertThat(bySeed.get(seed)).as("seed %d", seed).isEqualTo(split.takes(seed) ? "v2" : "v1");
        }
        long canary = bySeed.values().stream().filter("v2"::equals).count();
        assertThat(bySeed.values()).containsOnly("v1", "v2");
        assertThat(canary).isBetween(80L, 120L);
        // The same seed lands on the same version again.
        for (long seed = 1; seed <= 20; seed++) {
            assertThat(served(name, seed, null)).as("seed %d", seed).isEqualTo(bySeed.get(seed));
        }
        // Counted per version: 220 requests, the first 20 seeds twice.
        long canaryServed = canary
                + bySeed.entrySet().stream()
                        .filter(e -> e.getKey() <= 20 && e.getValue().equals("v2"))
                        .count();
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> given().get("/q/metrics")
                        .then()
                        .body(containsString(servedMetric(name, "v2") + canaryServed + ".0"))
                        .body(containsString(servedMetric(name, "v1") + (220 - canaryServed) + ".0")));
        given().get("/v1/models/" + name)
                .then()
                .statusCode(200)
                .body("canary.version", equalTo("v2"))
                .body("canary.percent", equalTo(50));

        // Ending the canary sends everything to production again.
        lifecycle.canary(name, null, "operator");
        awaitRevision(name, 4);
        for (long seed = 1; seed <= 20; seed++) {
            assertThat(served(name, seed, null)).isEqualTo("v1");
        }
    }

    @Test
    void aMissedAnnouncementTakesEffectAtTheNextReReadAndAReplayedOneChangesNothing() {
        String name = name("missed");
        ModelLifecycle lifecycle = lifecycle();
        release(lifecycle, gaussian(name, "v1"));
        release(lifecycle, gaussian(name, "v2"));
        awaitRevision(name, 2);
        ModelAliases beforePromotion = registry.storedAliases(name).orElseThrow();

        // The broker "loses" the announcement: only the document changes.
        ModelLifecycle silent = new ModelLifecycle(
                store,
                event -> {
                    throw new IllegalStateException("not announced");
                },
                Clock.systemUTC());
        silent.promote(name, "v2", "operator", "announcement lost");
        initialModels.refresh();
        assertThat(served(name, 1, null)).isEqualTo("v2");
        LoadedModel promoted = registry.current().get(name);

        // A replay of an older state (revision 2: v1 production) changes nothing, nor does applying it again.
        events.publishAndWait(
                CloudEvent.of(
                        "/tests",
                        new ModelAliasChanged(
                                name,
                                beforePromotion.revision(),
                                beforePromotion.aliases(),
                                null,
                                beforePromotion
                                        .history()
                                        .get(beforePromotion.history().size() - 1))),
                Duration.ofSeconds(10));
        assertThat(registry.apply(beforePromotion)).isFalse();
        // An announced change after the replay is the point by which the replay has been handled.
        lifecycle.canary(name, new CanarySplit("v1", 10), "operator");
        awaitRevision(name, 4);
        assertThat(registry.current().get(name)).isSameAs(promoted);
        assertThat(served(name, 1, "production")).isEqualTo("v2");
    }

    @Test
    void aFreshRegistryServesTheCurrentProductionAfterSeveralChanges() {
        String name = name("restart");
        ModelLifecycle lifecycle = lifecycle();
        release(lifecycle, gaussian(name, "v1"));
        release(lifecycle, gaussian(name, "v2"));
        lifecycle.promote(name, "v2", "operator", "better");
        release(lifecycle, gaussian(name, "v3"));
        lifecycle.promote(name, "v3", "operator", "better still");
        lifecycle.rollback(name, "operator", "v3 misbehaves");
        lifecycle.canary(name, new CanarySplit("v3", 30), "operator");
        awaitRevision(name, 7);
        assertThat(registry.current().get(name).version()).isEqualTo("v2");

        // A restarted replica: nothing loaded, the documents read at start (what InitialModels does).
        ModelRegistry fresh = new ModelRegistry(store, engine, samplerEvents, new SimpleMeterRegistry(), config);
        try {
            assertThat(fresh.installProduction(name))
                    .hasValueSatisfying(m -> assertThat(m.version()).isEqualTo("v2"));
            assertThat(fresh.aliases(name).orElseThrow().canary()).isEqualTo(new CanarySplit("v3", 30));
            long routedToCanary = 1;
            while (!new CanarySplit("v3", 30).takes(routedToCanary)) {
                routedToCanary++;
            }
            try (LoadedModel.Lease lease = fresh.acquire(name, null, routedToCanary)) {
                assertThat(lease.model().version()).isEqualTo("v3");
            }
        } finally {
            fresh.unload(name);
        }
    }

    @Test
    void aCanaryVersionThatIsRejectedTakesNoShareHereOrOnAFreshRegistry() {
        String name = name("bad-canary");
        ModelLifecycle lifecycle = lifecycle();
        release(lifecycle, gaussian(name, "v1"));
        // v2: the graph's bytes changed after the manifest recorded their sha256.
        GaussianModel v2 = gaussian(name, "v2");
        byte[] graph = v2.graph();
        ObjectRef honest = new ObjectRef(Buckets.MODELS, name + "/v2/unet.onnx", graph.length, Sha256.of(graph));
        byte[] tampered = graph.clone();
        tampered[tampered.length - 1] ^= 1;
        store.put(Buckets.MODELS, honest.key(), tampered, "application/octet-stream");
        TestOnlySigningKeys.putSignedManifest(
                store, name + "/v2/manifest.json", v2.manifest(graph, honest, Instant.now()));
        lifecycle.published(name, "v2", "owner-key", "trainer");
        CanarySplit split = new CanarySplit("v2", 50);
        lifecycle.canary(name, split, "operator");
        awaitRevision(name, 3);

        long routedToCanary = 1;
        while (!split.takes(routedToCanary)) {
            routedToCanary++;
        }
        assertThat(served(name, routedToCanary, null)).isEqualTo("v1");
        // A replica that starts now serves production although the canary's version cannot load.
        ModelRegistry fresh = new ModelRegistry(store, engine, samplerEvents, new SimpleMeterRegistry(), config);
        try {
            assertThat(fresh.installProduction(name))
                    .hasValueSatisfying(m -> assertThat(m.version()).isEqualTo("v1"));
            try (LoadedModel.Lease lease = fresh.acquire(name, null, routedToCanary)) {
                assertThat(lease.model().version()).isEqualTo("v1");
            }
        } finally {
            fresh.unload(name);
        }
    }

    @Test
    void aDeletedVersionIsDroppedFromThePinnedOnes() {
        String name = name("deleted");
        ModelLifecycle lifecycle = lifecycle();
        release(lifecycle, gaussian(name, "v1"));
        release(lifecycle, gaussian(name, "v2"));
        awaitRevision(name, 2);
        assertThat(served(name, 1, "v2")).isEqualTo("v2");
        assertThat(registry.pinnedVersions()).contains(name + "/v2");

        lifecycle.deleteVersion(name, "v2", "operator");
        await().atMost(BOUND).until(() -> !registry.pinnedVersions().contains(name + "/v2"));
        given().contentType("application/json")
                .body("{\"model\":\"" + name + "\",\"version\":\"v2\",\"steps\":2}")
                .post("/v1/samples")
                .then()
                .statusCode(404);
        assertThat(served(name, 1, null)).isEqualTo("v1");
    }

    /** Lifecycle operations announced on Kafka, as the gateway and the trainer announce them. */
    private ModelLifecycle lifecycle() {
        return new ModelLifecycle(
                store,
                event -> events.publishAndWait(CloudEvent.of("/tests", event), Duration.ofSeconds(10)),
                Clock.systemUTC());
    }

    private static GaussianModel gaussian(String name, String version) {
        int shift = Integer.parseInt(version.substring(1));
        return new GaussianModel(name, version, GaussianModel.pattern(1, 16, shift), 0.2, 1, 16);
    }

    /** As the trainer releases a version: its files and ModelPublished, then its place in the alias document. */
    private void release(ModelLifecycle lifecycle, GaussianModel model) {
        model.publish(store, events);
        lifecycle.published(model.name(), model.version(), "owner-key", "trainer");
    }

    private static String servedMetric(String name, String version) {
        return "ddpm_sampler_requests_served_total{model=\"" + name + "\",version=\"" + version + "\"} ";
    }

    private void awaitRevision(String name, long revision) {
        await().atMost(BOUND)
                .until(() -> registry.aliases(name)
                        .map(a -> a.revision() >= revision)
                        .orElse(false));
    }

    /** The version that served a 2-step request with this seed and version (null: none named). */
    private static String served(String name, long seed, String version) {
        String body = "{\"model\":\"" + name + "\",\"steps\":2,\"seed\":" + seed
                + (version == null ? "" : ",\"version\":\"" + version + "\"") + "}";
        Response response = given().contentType("application/json").body(body).post("/v1/samples");
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(200);
        return response.header("X-Model-Version");
    }
}
