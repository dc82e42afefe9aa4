package dev.ddpm.gateway.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.SampleJobCancelRequested;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.gateway.service.SampleJobView;
import dev.ddpm.service.messaging.DeadLetters;
import dev.ddpm.service.messaging.EventMessages;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.util.concurrent.CompletionStage;

/**
 * Folds {@code ddpm.sample-jobs} into {@link SampleJobView}: every job submitted (queued, with the key
 * that submitted it) and every cancellation asked for, whichever replica took them, so that any replica
 * answers for any job. Each replica reads the topic from its start in a group of its own. A record that
 * cannot be decoded, or is not a job or a cancellation, goes to {@code ddpm.sample-jobs.dlq}.
 */
@ApplicationScoped
public class SampleJobRequestsConsumer {

    static final String CHANNEL = "sample-job-log";

    private final SampleJobView jobs;
    private final DeadLetters deadLetters;

    public SampleJobRequestsConsumer(SampleJobView jobs, DeadLetters deadLetters) {
        this.jobs = jobs;
        this.deadLetters = deadLetters;
    }

    /**
     * Folds a job or its cancellation into the view. A record that cannot be read is passed by: the
     * sampler's jobs channel owns the topic and dead-letters it, once, not once per gateway replica.
     */
    @Incoming(CHANNEL)
    public CompletionStage<Void> onEvent(Message<byte[]> message) {
        return deadLetters.acknowledgeAfter(
                CHANNEL,
                message,
                () -> EventMessages.decodeOrPassBy(message)
                        .map(CloudEvent::data)
                        .filter(data -> data instanceof SampleJobRequested || data instanceof SampleJobCancelRequested)
                        .ifPresent(jobs::apply));
    }
}
