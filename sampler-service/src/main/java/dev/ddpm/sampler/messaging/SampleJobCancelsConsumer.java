package dev.ddpm.sampler.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.SampleJobCancelRequested;
import dev.ddpm.sampler.service.SampleJobRunner;
import dev.ddpm.service.messaging.EventMessages;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.util.concurrent.CompletionStage;

/**
 * SampleJobCancelRequested events from {@code ddpm.sample-jobs}, read beside the jobs in a consumer
 * group of each replica's own: the jobs' channel stops reading while the local job queue is full,
 * so a cancel must come in another way, and every replica must hear it, since any one of them may
 * hold the job. Each start reads the topic from its beginning, so that a job whose record comes
 * again (after a restart or a rebalance) still finds its cancel. Jobs and anything else on the topic
 * are left to {@link SampleJobsConsumer}, which also dead-letters what it cannot read: here such
 * records are passed by, so that a bad record is not dead-lettered once per replica.
 */
@ApplicationScoped
public class SampleJobCancelsConsumer {

    static final String CHANNEL = "sample-job-cancels";
    private static final Logger LOG = Logger.getLogger(SampleJobCancelsConsumer.class);

    private final SampleJobRunner jobs;

    public SampleJobCancelsConsumer(SampleJobRunner jobs) {
        this.jobs = jobs;
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> onRecord(Message<byte[]> message) {
        CloudEvent<?> event = EventMessages.decodeOrPassBy(message).orElse(null);
        if (event == null) { // the owning channel dead-letters what cannot be read
            return message.ack();
        }
        if (event.data() instanceof SampleJobCancelRequested cancel) {
            if (jobs.cancel(cancel.jobId())) {
                LOG.infof("job %s cancelled", cancel.jobId());
            } else {
                LOG.debugf("job %s is not held here, or has ended; its cancel is remembered", cancel.jobId());
            }
        }
        return message.ack();
    }
}
