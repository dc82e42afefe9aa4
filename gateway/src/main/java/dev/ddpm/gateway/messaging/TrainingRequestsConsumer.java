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
 * Folds {@code ddpm.training-requests} into {@link TrainingRuns}: which key requested each run (its
 * owner, who may cancel it), whichever replica took the request. Each replica reads the topic from
 * its start in a group of its own. A record that cannot be decoded goes to
 * {@code ddpm.training-requests.dlq}.
 */
@ApplicationScoped
public class TrainingRequestsConsumer {

    static final String CHANNEL = "training-request-log";

    private final TrainingRuns runs;
    private final DeadLetters deadLetters;

    public TrainingRequestsConsumer(TrainingRuns runs, DeadLetters deadLetters) {
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
