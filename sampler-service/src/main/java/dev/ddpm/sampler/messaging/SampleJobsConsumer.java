package dev.ddpm.sampler.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.SampleJobCancelRequested;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.sampler.service.SampleJobRunner;
import dev.ddpm.service.messaging.DeadLetters;
import dev.ddpm.service.messaging.EventMessages;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.util.concurrent.CompletionStage;

/**
 * Asynchronous sampling jobs from {@code ddpm.sample-jobs} (one consumer group shared by the
 * replicas). The handler hands each job to the local job queue and returns at once ({@link
 * SampleJobRunner}), so the jobs that follow join the same batch and share its network calls; only
 * while the queue is full does it wait, for a place. Each job's record is acknowledged when its
 * outcome is stored and announced, out of order, and the throttled strategy commits up to the oldest
 * job still held. Cancel requests are acted on by {@link SampleJobCancelsConsumer}, which reads them
 * also while this channel waits, and passed by here. A record that is not a job goes to
 * {@code ddpm.sample-jobs.dlq}.
 */
@ApplicationScoped
public class SampleJobsConsumer {

    static final String CHANNEL = "sample-jobs";

    private final SampleJobRunner jobs;
    private final DeadLetters deadLetters;

    public SampleJobsConsumer(SampleJobRunner jobs, DeadLetters deadLetters) {
        this.jobs = jobs;
        this.deadLetters = deadLetters;
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> onJob(Message<byte[]> message) {
        try {
            CloudEvent<?> event = EventMessages.decode(message);
            if (event.data() instanceof SampleJobCancelRequested) {
                return message.ack();
            }
            if (!(event.data() instanceof SampleJobRequested job)) {
                throw new InvalidPayloadException(
                        "expected a sample job on " + CHANNEL + ", got '" + event.type() + "'", "type");
            }
            // A record delivered again is never acknowledged here: the runner attaches it to the job it
            // holds, or finds the outcome a previous delivery stored.
            return jobs.accept(job, event.time(), message::ack);
        } catch (Throwable e) {
            return deadLetters.send(CHANNEL, message, e);
        }
    }
}
