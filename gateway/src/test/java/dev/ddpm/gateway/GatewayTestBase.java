package dev.ddpm.gateway;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.service.testing.GaussianModel;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.time.Duration;
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
        model.publish(store, events);
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
