package dev.ddpm.sampler.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.SampleJobCancelRequested;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.messaging.ProcessedEvents;
import dev.ddpm.sampler.service.SampleJobRunner;
import dev.ddpm.service.messaging.DeadLetters;
import dev.ddpm.service.messaging.EventMessages;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Asynchronous sampling jobs from {@code ddpm.sample-jobs} (one consumer group shared by the
 * replicas). The handler returns as soon as the batcher has taken a job, so the jobs that follow
 * join the same batch and share its network calls; each job's record is acknowledged when its
 * outcome is stored and announced, and the throttled strategy commits up to the oldest job still
 * running. A cancel request for a job this replica holds frees the job's place and slots (the
 * request shares the job's key, so it arrives after the job, at the same replica). A redelivered
 * job whose result.json exists is not run again; a record that is not a
 * job, or whose handling fails, goes to {@code ddpm.sample-jobs.dlq}.
 */
@ApplicationScoped
public class SampleJobsConsumer {

    static final String CHANNEL = "sample-jobs";
    private static final Logger LOG = Logger.getLogger(SampleJobsConsumer.class);

    private final SampleJobRunner jobs;
    private final DeadLetters deadLetters;
    private final ProcessedEvents processed = new ProcessedEvents(10_000);

    public SampleJobsConsumer(SampleJobRunner jobs, DeadLetters deadLetters) {
        this.jobs = jobs;
        this.deadLetters = deadLetters;
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> onJob(Message<byte[]> message) {
        try {
            CloudEvent<?> event = EventMessages.decode(message);
            if (event.data() instanceof SampleJobCancelRequested cancel) {
                if (!jobs.cancel(cancel.jobId())) {
                    LOG.infof(
                            "job %s is not running here (finished, or never started); nothing to cancel",
                            cancel.jobId());
                }
                return message.ack();
            }
            if (!(event.data() instanceof SampleJobRequested job)) {
                throw new InvalidPayloadException(
                        "expected a sample job on " + CHANNEL + ", got '" + event.type() + "'", "type");
            }
            if (!processed.firstTime(event)) {
                return message.ack();
            }
            if (jobs.hasResults(job.jobId())) {
                LOG.infof("job %s already has its results; not run again", job.jobId());
                return message.ack();
            }
            jobs.start(job).whenComplete((done, error) -> {
                if (error == null) {
                    message.ack();
                } else {
                    deadLetters.send(CHANNEL, message, error);
                }
            });
            return CompletableFuture.completedFuture(null);
        } catch (Throwable e) {
            return deadLetters.send(CHANNEL, message, e);
        }
    }
}
