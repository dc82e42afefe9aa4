package dev.ddpm.service.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.messaging.Delivery;
import dev.ddpm.core.messaging.MessagingException;
import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;

import java.time.Duration;

/**
 * Sends platform events on one outgoing channel as CloudEvents from this service's source. The
 * returned {@link Uni} completes when the broker has acknowledged the record (acks=all).
 */
public final class EventSender {

    private final MutinyEmitter<byte[]> emitter;
    private final String source;

    public EventSender(MutinyEmitter<byte[]> emitter, String serviceName) {
        this.emitter = emitter;
        this.source = "/ddpm/" + serviceName;
    }

    public Uni<Void> send(EventData data) {
        CloudEvent<?> event = CloudEvent.of(source, data);
        return emitter.sendMessage(EventMessages.of(event))
                .onFailure()
                .transform(e -> new MessagingException(
                        "sending " + event.type() + " " + event.id() + " to "
                                + event.topic().topicName() + " failed: " + e.getMessage(),
                        e));
    }

    /**
     * Sends and waits for the broker's acknowledgement, {@link Delivery#ACK_WAIT}: a failure means the
     * record will not arrive later.
     */
    public void sendAndWait(EventData data) {
        sendAndWait(data, Delivery.ACK_WAIT);
    }

    /** Sends and waits at most {@code timeout} for the broker's acknowledgement. */
    public void sendAndWait(EventData data, Duration timeout) {
        try {
            send(data).await().atMost(timeout);
        } catch (TimeoutException e) {
            throw new MessagingException(
                    data.getClass().getSimpleName() + " for " + data.partitionKey() + " was not acknowledged within "
                            + timeout,
                    e);
        }
    }
}
