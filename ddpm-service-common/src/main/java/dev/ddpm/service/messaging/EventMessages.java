package dev.ddpm.service.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.messaging.CloudEventBinding;
import io.smallrye.reactive.messaging.ce.OutgoingCloudEventMetadata;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

import java.net.URI;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * Platform events as Reactive Messaging messages. Outgoing: binary content mode through the
 * connector's own CloudEvents support (id, source, type, subject and time as {@code ce_*} headers,
 * the data as JSON in the value, the payload's partition key as the record key). Incoming: both
 * modes, decoded strictly by ddpm-core ({@link CloudEventBinding}).
 */
public final class EventMessages {

    private static final Logger LOG = Logger.getLogger(EventMessages.class);

    private EventMessages() {}

    public static Message<byte[]> of(CloudEvent<?> event) {
        OutgoingCloudEventMetadata<Object> cloudEvent = OutgoingCloudEventMetadata.builder()
                .withId(event.id())
                .withSource(URI.create(event.source()))
                .withType(event.type())
                .withSubject(event.subject())
                .withTimestamp(event.time().atZone(ZoneOffset.UTC))
                .withDataContentType(CloudEvent.DATA_CONTENT_TYPE)
                .build();
        OutgoingKafkaRecordMetadata<String> record = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(event.data().partitionKey())
                .build();
        return Message.of(Json.write(event.data()), Metadata.of(cloudEvent, record));
    }

    /**
     * The event a consumed message carries.
     *
     * @throws dev.ddpm.core.json.InvalidPayloadException naming what is wrong with it
     */
    public static CloudEvent<?> decode(Message<byte[]> message) {
        IncomingKafkaRecordMetadata<?, ?> kafka = kafka(message);
        CloudEvent<?> event = CloudEventBinding.decode(headers(message), message.getPayload());
        Topic.byName(kafka.getTopic()).filter(topic -> topic != event.topic()).ifPresent(topic -> {
            throw new InvalidPayloadException(
                    "CloudEvent " + event.id() + " (" + event.type() + ") belongs on "
                            + event.topic().topicName() + ", not on " + topic.topicName(),
                    "type");
        });
        return event;
    }

    /**
     * The event a record carries, or empty for one that cannot be read: for a channel that reads a topic
     * beside the channel that owns it (and dead-letters what it cannot read), so that a bad record is not
     * dead-lettered once per reader.
     */
    public static Optional<CloudEvent<?>> decodeOrPassBy(Message<byte[]> message) {
        try {
            return Optional.of(decode(message));
        } catch (RuntimeException e) {
            LOG.debugf("record %s passed by: %s", coordinates(message), e.getMessage());
            return Optional.empty();
        }
    }

    /** topic-partition@offset of a consumed message, for log lines. */
    public static String coordinates(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> m.getTopic() + "-" + m.getPartition() + "@" + m.getOffset())
                .orElse("(not from Kafka)");
    }

    /** The Kafka headers of a consumed message. */
    public static Headers headers(Message<?> message) {
        return kafka(message).getHeaders();
    }

    private static IncomingKafkaRecordMetadata<?, ?> kafka(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .orElseThrow(() -> new IllegalStateException("message did not come from a Kafka channel"));
    }
}
