package dev.ddpm.gateway.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.gateway.service.TrainingRuns;
import dev.ddpm.service.messaging.DeadLetters;
import dev.ddpm.service.messaging.EventMessages;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.util.concurrent.CompletionStage;

/**
 * Folds {@code ddpm.training-events} into {@link TrainingRuns}; each replica reads the topic from
 * its start in a group of its own. A record that cannot be decoded goes to
 * {@code ddpm.training-events.dlq}.
 */
@ApplicationScoped
public class TrainingEventsConsumer {

    static final String CHANNEL = "training-events";

    private final TrainingRuns runs;
    private final DeadLetters deadLetters;

    public TrainingEventsConsumer(TrainingRuns runs, DeadLetters deadLetters) {
        this.runs = runs;
        this.deadLetters = deadLetters;
    }

    @Incoming(CHANNEL)
    public CompletionStage<Void> onEvent(Message<byte[]> message) {
        return deadLetters.acknowledgeAfter(CHANNEL, message, () -> {
            CloudEvent<?> event = EventMessages.decode(message);
            runs.apply(event.data(), event.time());
        });
    }
}
