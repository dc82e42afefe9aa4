package dev.ddpm.gateway.messaging;

import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.gateway.service.SampleJobView;
import dev.ddpm.service.messaging.DeadLetters;
import dev.ddpm.service.messaging.EventMessages;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.util.concurrent.CompletionStage;

/**
 * Folds {@code ddpm.sample-results} into {@link SampleJobView}; each replica reads every outcome
 * in a group of its own. A record that is not a job outcome goes to {@code ddpm.sample-results.dlq}.
 */
@ApplicationScoped
public class SampleResultsConsumer {

    static final String CHANNEL = "sample-results";

    private final SampleJobView jobs;
    private final DeadLetters deadLetters;

    public SampleResultsConsumer(SampleJobView jobs, DeadLetters deadLetters) {
        this.jobs = jobs;
        this.deadLetters = deadLetters;
    }

    @Incoming(CHANNEL)
    public CompletionStage<Void> onOutcome(Message<byte[]> message) {
        return deadLetters.acknowledgeAfter(
                CHANNEL,
                message,
                () -> jobs.apply(outcome(EventMessages.decode(message).data())));
    }

    /** Only outcomes belong on this topic: anything else goes to the dead-letter topic. */
    private static EventData outcome(EventData data) {
        if (!(data instanceof SampleJobCompleted || data instanceof SampleJobFailed)) {
            throw new IllegalArgumentException(
                    "not a sample job outcome: " + data.getClass().getSimpleName());
        }
        return data;
    }
}
