package dev.ddpm.core.events;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Require;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * A CloudEvents 1.0 event with typed data. On Kafka it travels in structured content mode
 * (the whole event as JSON in the record value, see {@link EventCodec}).
 *
 * @param id      unique per source; consumers use (source, id) to drop duplicates
 * @param source  URI-reference of the producer, e.g. {@code /ddpm/trainer-service}
 * @param type    the CloudEvents type, one of {@link EventType}
 * @param subject the entity the event is about: run id, model name, dataset name, job id
 * @param time    when the producer created the event
 * @param data    the payload
 */
public record CloudEvent<T extends EventData>(
        String id, String source, String type, String subject, Instant time, T data) {

    public static final String SPEC_VERSION = "1.0";
    public static final String DATA_CONTENT_TYPE = "application/json";

    public CloudEvent {
        Require.nonBlank(id, "id");
        Require.nonBlank(source, "source");
        Require.nonBlank(type, "type");
        Require.nonNull(time, "time");
        Require.nonNull(data, "data");
        EventType expected = EventType.of(data);
        if (!expected.type().equals(type)) {
            throw new InvalidPayloadException(
                    "type '" + type + "' does not match data " + data.getClass().getSimpleName() + " (expected '"
                            + expected.type() + "')",
                    "type");
        }
    }

    /** A new event with a random id, the current time, and the payload's key as subject. */
    public static <T extends EventData> CloudEvent<T> of(String source, T data) {
        return new CloudEvent<>(
                UUID.randomUUID().toString(),
                source,
                EventType.of(data).type(),
                data.partitionKey(),
                Instant.now().truncatedTo(ChronoUnit.MILLIS),
                data);
    }

    public EventType eventType() {
        return EventType.of(data);
    }

    public Topic topic() {
        return eventType().topic();
    }
}
