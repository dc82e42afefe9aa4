package dev.ddpm.trainer.service;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.DatasetUpdated;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.service.testing.PoisonRecords;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Event-driven retraining on the real broker: a burst of changes to one data set (CloudEvents, a
 * duplicate, MinIO's own notification record, and garbage in between) requests exactly one run.
 */
@QuarkusTest
@TestProfile(RetrainingTest.ScratchPolicy.class)
class RetrainingTest {

    public static class ScratchPolicy implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "trainer.retrain.policy",
                    "scratch",
                    "trainer.retrain.debounce",
                    "3s",
                    "trainer.retrain.steps",
                    "5",
                    "trainer.consume-requests",
                    "false",
                    "trainer.retrain.learning-rate-decay",
                    "cosine",
                    "trainer.retrain.snr-gamma",
                    "5");
        }
    }

    @Inject
    EventPublisher publisher;

    @Inject
    KafkaSettings kafka;

    @Test
    void aBurstOfChangesRequestsOneRun() throws Exception {
        String dataset = "burst-" + UUID.randomUUID().toString().substring(0, 8);
        CloudEvent<DatasetUpdated> first =
                CloudEvent.of("/test", new DatasetUpdated(dataset, dataset + "/a.png", 1L, "test"));
        publisher.publishAndWait(first, Duration.ofSeconds(30));
        publisher.publishAndWait(first, Duration.ofSeconds(30)); // duplicate
        String notification = """
                {"EventName":"s3:ObjectCreated:Put","Key":"ddpm-datasets/%s/b.png",
                 "Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"ddpm-datasets"},
                 "object":{"key":"%s%%2Fb.png","size":10}}}]}""".formatted(dataset, dataset);
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(kafka.producer())) {
            raw.send(new ProducerRecord<>(
                            Topic.DATASETS.topicName(), dataset, "{not json".getBytes(StandardCharsets.UTF_8)))
                    .get();
            // A key URLDecoder cannot decode: the kind of handler failure that used to end the consumer thread.
            String undecodable = notification.replace(dataset + "%2Fb.png", dataset + "%zz.png");
            raw.send(new ProducerRecord<>(
                            Topic.DATASETS.topicName(), dataset, undecodable.getBytes(StandardCharsets.UTF_8)))
                    .get();
            raw.send(new ProducerRecord<>(
                            Topic.DATASETS.topicName(), dataset, notification.getBytes(StandardCharsets.UTF_8)))
                    .get();
        }
        publisher.publishAndWait(
                CloudEvent.of("/test", new DatasetUpdated(dataset, dataset + "/c.png", 3L, "test")),
                Duration.ofSeconds(30));

        List<TrainingRequested> requests = requestsFor(dataset, Duration.ofSeconds(20));

        assertThat(requests).singleElement().satisfies(request -> {
            assertThat(request.requestedBy()).isEqualTo("dataset-update");
            assertThat(request.request().modelName()).isEqualTo(dataset);
            assertThat(request.request().steps()).isEqualTo(5);
            assertThat(request.request().cosineDecay())
                    .as("the configured decay travels with the request")
                    .isTrue();
            assertThat(request.request().snrGamma()).isEqualTo(5.0);
            assertThat(request.request().resumeFrom()).isNull();
        });
        List<ConsumerRecord<String, byte[]>> dead =
                PoisonRecords.awaitDeadLetters(kafka, Topic.DATASETS, dataset, 2, Duration.ofSeconds(30));
        assertThat(dead)
                .extracting(r -> PoisonRecords.header(r, "dead-letter-reason"))
                .satisfiesExactly(
                        reason -> assertThat(reason).contains("not valid JSON"),
                        reason -> assertThat(reason).contains("s3.object.key").contains("%zz"));
    }

    private List<TrainingRequested> requestsFor(String dataset, Duration window) {
        List<TrainingRequested> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(Topic.TRAINING_REQUESTS.topicName()));
            long deadline = System.nanoTime() + window.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    ReceivedEvent received = ReceivedEvent.of(record);
                    if (received.valid()
                            && received.event().data() instanceof TrainingRequested request
                            && request.request().dataset().equals(dataset)) {
                        found.add(request);
                    }
                }
            }
        }
        return found;
    }
}
