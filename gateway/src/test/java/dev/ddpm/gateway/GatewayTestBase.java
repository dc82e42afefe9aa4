package dev.ddpm.gateway;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.lifecycle.ModelSharing;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.DatasetOwner;
import dev.ddpm.service.testing.GaussianModel;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

/**
 * What the gateway's HTTP API tests share: the gateway in front of a real sampler process
 * ({@link RealSampler}), the real broker and the real S3 server (one Quarkus app for all of them, since
 * they share the test profile and resources), the API keys of the test profile, and helpers to publish
 * models the sampler serves, send the events a trainer would, and await the events the gateway sends.
 */
abstract class GatewayTestBase {

    static final String TRAINER_KEY = "test-key-trainer";
    static final String VIEWER_KEY = "test-key-sampler";

    @Inject
    ArtifactStore store;

    @Inject
    EventPublisher events;

    @Inject
    KafkaSettings kafka;

    /** Network evaluations the real sampler still holds (its metrics). */
    static double samplerBacklog() {
        String metrics = given().baseUri(RealSampler.url())
                .port(-1)
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        return metrics.lines()
                .filter(l -> l.startsWith("ddpm_sampler_backlog_evaluations"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    static RequestSpecification as(String key) {
        return given().header("X-API-Key", key);
    }

    GaussianModel publish(GaussianModel model) {
        publishForEveryKey(model, store, events);
        // The sampler loads it (ModelPublished): a request succeeds once it has.
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> as(VIEWER_KEY)
                        .contentType("application/json")
                        .body("{\"model\":\"" + model.name() + "\",\"steps\":2}")
                        .post("/v1/samples")
                        .then()
                        .statusCode(200));
        return model;
    }

    /**
     * Publishes {@code model} as the command line does (no owner: the admins'), then shares it with
     * every key, so that any of the tests' keys may sample it.
     */
    static void publishForEveryKey(GaussianModel model, ArtifactStore store, EventPublisher events) {
        model.publish(store, events);
        shareWithEveryKey(
                new ModelLifecycle(
                        store,
                        e -> events.publishAndWait(CloudEvent.of("/tests", e), Duration.ofSeconds(10)),
                        Clock.systemUTC()),
                model.name(),
                model.version());
    }

    /**
     * A model every key may see, stored as a trainer stores a version but not announced: no sampler
     * loads it (a sampling request for it reaches a sampler, which refuses it as unknown).
     */
    static String storedForEveryKey(ArtifactStore store, String name) {
        ModelLifecycleApiTest.storeVersion(store, name, "v1");
        shareWithEveryKey(new ModelLifecycle(store, e -> {}, Clock.systemUTC()), name, "v1");
        return name;
    }

    private static void shareWithEveryKey(ModelLifecycle lifecycle, String model, String version) {
        lifecycle.published(model, version, null, "cli");
        lifecycle.share(model, new ModelSharing(true, List.of()), "cli");
    }

    /** A data set of one object, owned by the API key {@code ownerKeyId} as its first upload leaves it. */
    static void storeDataset(ArtifactStore store, String dataset, String ownerKeyId) {
        store.put(Buckets.DATASETS, dataset + "/a.png", new byte[] {1, 2, 3}, "image/png");
        store.putJson(
                Buckets.DATASETS, DatasetOwner.key(dataset), new DatasetOwner(dataset, ownerKeyId, Instant.now()));
    }

    void send(EventData data) {
        events.publishAndWait(CloudEvent.of("/tests", data), Duration.ofSeconds(10));
    }

    EventData awaitEvent(Topic topic, String key, Predicate<EventData> wanted) {
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(topic.topicName()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (key.equals(record.key())) {
                        EventData data = ReceivedEvent.of(record).event().data();
                        if (wanted.test(data)) {
                            return data;
                        }
                    }
                }
            }
        }
        throw new AssertionError("no matching event with key " + key + " on " + topic.topicName());
    }

    static String name(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
