package dev.ddpm.core.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventCodec;
import dev.ddpm.core.json.InvalidPayloadException;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One consumed record: either a decoded event or the reason it was rejected, with the record's
 * coordinates so a rejection can be logged precisely and the offset still committed (a malformed
 * event must not block the partition forever).
 */
public record ReceivedEvent(String topic, int partition, long offset, String key,
                            CloudEvent<?> event, String rejection) {

    public static ReceivedEvent of(ConsumerRecord<String, byte[]> record) {
        try {
            return new ReceivedEvent(record.topic(), record.partition(), record.offset(), record.key(),
                    EventCodec.decode(record.value()), null);
        } catch (InvalidPayloadException e) {
            return new ReceivedEvent(record.topic(), record.partition(), record.offset(), record.key(),
                    null, e.getMessage());
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
