package dev.ddpm.service.testing;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.DatasetUpdated;
import dev.ddpm.core.events.EventCodec;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.messaging.KafkaSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Records no consumer can use, written with a plain producer as a foreign or broken client would,
 * and a reader of the dead-letter topic they must land on.
 */
public final class PoisonRecords {

    /** What each poison record is; the dead-letter reason must name it. */
    public enum Kind {
        /** Structured-mode header, value not JSON. */
        MALFORMED_JSON,
        /** Binary-mode headers with a {@code ce_time} that is no timestamp. */
        BAD_BINARY_TIME,
        /** A well-formed CloudEvent of a type that belongs on another topic. */
        WRONG_TOPIC
    }

    private PoisonRecords() {}

    /** Sends one record of each kind to {@code topic}, in order, all under {@code key}. */
    public static void send(KafkaSettings kafka, Topic topic, String key) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer())) {
            for (Kind kind : Kind.values()) {
                producer.send(record(topic, key, kind)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    static ProducerRecord<String, byte[]> record(Topic topic, String key, Kind kind) {
        return switch (kind) {
            case MALFORMED_JSON ->
                new ProducerRecord<>(
                        topic.topicName(),
                        null,
                        key,
                        "{\"specversion\": \"1.0\", \"id\": ".getBytes(StandardCharsets.UTF_8),
                        List.of(header("content-type", EventCodec.CONTENT_TYPE)));
            case BAD_BINARY_TIME ->
                new ProducerRecord<>(
                        topic.topicName(),
                        null,
                        key,
                        "{}".getBytes(StandardCharsets.UTF_8),
                        List.of(
                                header("ce_specversion", "1.0"),
                                        header("ce_id", UUID.randomUUID().toString()),
                                header("ce_source", "/ddpm/poison"), header("ce_type", "dev.ddpm.dataset.updated.v1"),
                                header("ce_time", "yesterday at noon"), header("content-type", "application/json")));
            case WRONG_TOPIC -> {
                EventData foreign = topic == Topic.SAMPLE_RESULTS
                        ? new DatasetUpdated("poison", null, 1L, "test")
                        : new SampleJobFailed("job-poison", "test");
                yield new ProducerRecord<>(
                        topic.topicName(),
                        null,
                        key,
                        EventCodec.encode(CloudEvent.of("/ddpm/poison", foreign)),
                        List.of(header("content-type", EventCodec.CONTENT_TYPE)));
            }
        };
    }

    /** The dead letters of {@code topic} under {@code key}, once {@code count} have arrived. */
    public static List<ConsumerRecord<String, byte[]>> awaitDeadLetters(
            KafkaSettings kafka, Topic topic, String key, int count, Duration timeout) {
        Topic dlq = topic.deadLetterTopic().orElseThrow();
        Map<String, Object> config = kafka.consumer("test-dlq-" + UUID.randomUUID());
        List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(dlq.topicName()));
            while (found.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (key.equals(r.key())) {
                        found.add(r);
                    }
                }
            }
        }
        return found;
    }

    public static String header(ConsumerRecord<?, ?> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static RecordHeader header(String name, String value) {
        return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
