package dev.ddpm.gateway.messaging;

import dev.ddpm.gateway.service.SampleJobResults;
import dev.ddpm.service.messaging.DeadLetters;
import dev.ddpm.service.messaging.EventMessages;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.util.concurrent.CompletionStage;

/**
 * Folds {@code ddpm.sample-results} into {@link SampleJobResults}; each replica reads every outcome
 * in a group of its own. A record that is not a job outcome goes to {@code ddpm.sample-results.dlq}.
 */
@ApplicationScoped
public class SampleResultsConsumer {

    static final String CHANNEL = "sample-results";

    private final SampleJobResults results;
    private final DeadLetters deadLetters;

    public SampleResultsConsumer(SampleJobResults results, DeadLetters deadLetters) {
        this.results = results;
        this.deadLetters = deadLetters;
    }

    @Incoming(CHANNEL)
    public CompletionStage<Void> onOutcome(Message<byte[]> message) {
        return deadLetters.acknowledgeAfter(
                CHANNEL,
                message,
                () -> results.record(EventMessages.decode(message).data()));
    }
}
