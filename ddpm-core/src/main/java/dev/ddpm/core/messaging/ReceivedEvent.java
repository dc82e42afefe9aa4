package dev.ddpm.core.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.json.InvalidPayloadException;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One consumed record, for tools and tests that read a topic with a plain consumer: either a
 * decoded event (binary or structured mode, see {@link CloudEventBinding}) or the reason it was
 * rejected, with the record's coordinates.
 */
public record ReceivedEvent(
        String topic, int partition, long offset, String key, CloudEvent<?> event, String rejection) {

    public static ReceivedEvent of(ConsumerRecord<String, byte[]> record) {
        try {
            return new ReceivedEvent(
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    record.key(),
                    CloudEventBinding.decode(record.headers(), record.value()),
                    null);
        } catch (InvalidPayloadException e) {
            return new ReceivedEvent(
                    record.topic(), record.partition(), record.offset(), record.key(), null, e.getMessage());
        }
    }

    public boolean valid() {
        return event != null;
    }

    /** topic-partition@offset, for log lines. */
    public String coordinates() {
        return topic + "-" + partition + "@" + offset;
    }
}
