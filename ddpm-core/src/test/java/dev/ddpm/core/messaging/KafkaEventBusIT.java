package dev.ddpm.core.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventCodec;
import dev.ddpm.core.events.EventType;
import dev.ddpm.core.events.SamplePayloads;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.testing.TestStack;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Publishes and consumes CloudEvents through every topic of the design on the real broker. */
class KafkaEventBusIT {

    private static final KafkaSettings SETTINGS = TestStack.kafka("core-it");
    private static EventPublisher publisher;

    @BeforeAll
    static void provisionTopics() throws Exception {
        try (Admin admin = Admin.create(SETTINGS.admin())) {
            TopicProvisioner.ensureTopics(admin, (short) 1);
            // A second call finds everything in place and creates nothing.
            assertThat(TopicProvisioner.ensureTopics(admin, (short) 1)).isEmpty();
        }
        publisher = new EventPublisher(SETTINGS, "/ddpm/core-it");
    }

    @AfterAll
    static void close() {
        publisher.close();
    }

    @ParameterizedTest
    @EnumSource(EventType.class)
    void everyEventTravelsThroughItsTopic(EventType type) {
        CloudEvent<?> sent = CloudEvent.of("/ddpm/core-it", SamplePayloads.of(type));

        RecordMetadata metadata = publisher.publishAndWait(sent, Duration.ofSeconds(30));
        ConsumerRecord<String, byte[]> received = readAt(type.topic(), metadata);

        assertThat(metadata.topic()).isEqualTo(type.topic().topicName());
        assertThat(received.key()).isEqualTo(sent.data().partitionKey());
        assertThat(new String(received.headers().lastHeader("content-type").value(), StandardCharsets.UTF_8))
                .isEqualTo(EventCodec.CONTENT_TYPE);
        assertThat(EventCodec.decode(received.value())).isEqualTo(sent);
    }

    @Test
    void modelsTopicIsCompacted() throws Exception {
        try (Admin admin = Admin.create(SETTINGS.admin())) {
            ConfigResource models = new ConfigResource(ConfigResource.Type.TOPIC, Topic.MODELS.topicName());
            Config config = admin.describeConfigs(List.of(models))
                    .all()
                    .get(10, TimeUnit.SECONDS)
                    .get(models);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    @Test
    void malformedRecordIsRejectedWithItsCoordinatesAndTheNextOneStillArrives() {
        String key = "bad-" + UUID.randomUUID();
        byte[] garbage = "{\"specversion\":\"1.0\",\"id\":\"x1\",\"type\":\"dev.ddpm.model.published.v1\"}"
                .getBytes(StandardCharsets.UTF_8);
        RecordMetadata bad;
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(SETTINGS.producer())) {
            bad = raw.send(new ProducerRecord<>(Topic.MODELS.topicName(), key, garbage))
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        CloudEvent<?> good = CloudEvent.of("/ddpm/core-it", SamplePayloads.of(EventType.MODEL_PUBLISHED));
        publisher.publishAndWait(good, Duration.ofSeconds(30));

        ReceivedEvent rejected = ReceivedEvent.of(readAt(Topic.MODELS, bad));

        assertThat(rejected.valid()).isFalse();
        assertThat(rejected.rejection())
                .isEqualTo("CloudEvent x1 (dev.ddpm.model.published.v1): attribute 'source' is missing");
        assertThat(rejected.coordinates()).isEqualTo("ddpm.models-" + bad.partition() + "@" + bad.offset());
        ReceivedEvent next = ReceivedEvent.of(readAt(Topic.MODELS, bad.partition(), bad.offset() + 1, good.id()));
        assertThat(next.event()).isEqualTo(good);
    }

    @Test
    void consumerGroupSharesWorkAndDuplicatesAreRecognised() {
        CloudEvent<?> event = CloudEvent.of("/ddpm/core-it", SamplePayloads.of(EventType.DATASET_UPDATED));
        publisher.publishAndWait(event, Duration.ofSeconds(30));
        publisher.publishAndWait(event, Duration.ofSeconds(30)); // a producer retrying at the application level

        Map<String, Object> config = SETTINGS.consumer("ddpm-core-it-" + UUID.randomUUID());
        ProcessedEvents processed = new ProcessedEvents(1000);
        List<CloudEvent<?>> handled = new ArrayList<>();
        int copies = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(Topic.DATASETS.topicName()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (copies < 2 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    ReceivedEvent received = ReceivedEvent.of(record);
                    if (received.valid() && received.event().id().equals(event.id())) {
                        copies++;
                        if (processed.firstTime(received.event())) {
                            handled.add(received.event());
                        }
                    }
                }
                consumer.commitSync();
            }
        }
        assertThat(copies).isEqualTo(2);
        assertThat(handled).containsExactly(event);
    }

    private static ConsumerRecord<String, byte[]> readAt(Topic topic, RecordMetadata metadata) {
        return readAt(topic, metadata.partition(), metadata.offset(), null);
    }

    /** Reads one record at an exact offset with a plain assigned consumer (no group needed). */
    private static ConsumerRecord<String, byte[]> readAt(Topic topic, int partition, long offset, String idHint) {
        Map<String, Object> config = SETTINGS.consumer("unused");
        config.remove("group.id");
        var tp = new org.apache.kafka.common.TopicPartition(topic.topicName(), partition);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.offset() >= offset) {
                        return record;
                    }
                }
            }
        }
        throw new AssertionError("no record at " + topic.topicName() + "-" + partition + "@" + offset
                + (idHint == null ? "" : " (expected event " + idHint + ")"));
    }
}
