package dev.ddpm.core.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventCodec;
import dev.ddpm.core.events.EventData;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes platform events as structured-mode CloudEvents: the topic follows from the event type,
 * the record key is the payload's partition key, and a {@code content-type} header marks the value
 * as {@code application/cloudevents+json} (the CloudEvents Kafka protocol binding).
 */
public final class EventPublisher implements AutoCloseable {

    public static final String CONTENT_TYPE_HEADER = "content-type";

    private final Producer<String, byte[]> producer;
    private final String source;

    /**
     * @param source CloudEvents source of this producer, e.g. {@code /ddpm/trainer-service}
     */
    public EventPublisher(KafkaSettings settings, String source) {
        this(new KafkaProducer<>(settings.producer()), source);
    }

    EventPublisher(Producer<String, byte[]> producer, String source) {
        this.producer = producer;
        this.source = source;
    }

    public String source() {
        return source;
    }

    /** Wraps the payload in a new CloudEvent from this publisher's source and sends it. */
    public CompletableFuture<RecordMetadata> publish(EventData data) {
        return publish(CloudEvent.of(source, data));
    }

    public CompletableFuture<RecordMetadata> publish(CloudEvent<?> event) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(
                event.topic().topicName(),
                null,
                event.data().partitionKey(),
                EventCodec.encode(event),
                List.of(new RecordHeader(
                        CONTENT_TYPE_HEADER, EventCodec.CONTENT_TYPE.getBytes(StandardCharsets.UTF_8))));
        CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
        producer.send(record, (metadata, error) -> {
            if (error != null) {
                result.completeExceptionally(new MessagingException(
                        "publishing " + event.type() + " " + event.id() + " to " + record.topic() + " failed: "
                                + error.getMessage(),
                        error));
            } else {
                result.complete(metadata);
            }
        });
        return result;
    }

    /**
     * Sends and waits for the broker's acknowledgement (acks=all), {@link Delivery#ACK_WAIT}: a failure
     * means the record will not arrive later.
     */
    public RecordMetadata publishAndWait(CloudEvent<?> event) {
        return publishAndWait(event, Delivery.ACK_WAIT);
    }

    /** Sends and waits at most {@code timeout} for the broker's acknowledgement (acks=all). */
    public RecordMetadata publishAndWait(CloudEvent<?> event, Duration timeout) {
        try {
            return publish(event).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof MessagingException m
                    ? m
                    : new MessagingException("publishing " + event.id() + " failed", e.getCause());
        } catch (TimeoutException e) {
            throw new MessagingException(
                    "publishing " + event.type() + " " + event.id() + " to "
                            + event.topic().topicName() + " was not acknowledged within " + timeout,
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MessagingException("interrupted while publishing " + event.id(), e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
