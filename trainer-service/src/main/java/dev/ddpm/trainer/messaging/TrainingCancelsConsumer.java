package dev.ddpm.trainer.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.TrainingCancelRequested;
import dev.ddpm.service.messaging.EventMessages;
import dev.ddpm.trainer.service.RunCancellations;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.util.concurrent.CompletionStage;

/**
 * TrainingCancelRequested events from {@code ddpm.training-requests}, read beside the requests in a
 * consumer group of each replica's own: the requests' channel is held by a run for as long as it
 * trains, so a cancel must come in another way, and every replica must hear it, since any one of
 * them may be training the run or receive its request later. Each start reads the topic from its
 * beginning, so a cancel sent while no trainer ran is still heard. The cancel goes to
 * {@link RunCancellations}. Requests and anything else on the topic are left to
 * {@link TrainingRequestsConsumer}, which also dead-letters what it cannot read: here such records
 * are passed by, so that a bad record is not dead-lettered once per replica.
 */
@ApplicationScoped
public class TrainingCancelsConsumer {

    static final String CHANNEL = "training-cancels";
    private static final Logger LOG = Logger.getLogger(TrainingCancelsConsumer.class);

    private final RunCancellations cancellations;

    public TrainingCancelsConsumer(RunCancellations cancellations) {
        this.cancellations = cancellations;
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> onRecord(Message<byte[]> message) {
        CloudEvent<?> event = EventMessages.decodeOrPassBy(message).orElse(null);
        if (event == null) { // the owning channel dead-letters what cannot be read
            return message.ack();
        }
        if (event.data() instanceof TrainingCancelRequested cancel) {
            try {
                cancellations.request(cancel);
            } catch (RuntimeException e) {
                LOG.warnf(e, "run %s: cancel %s could not be recorded", cancel.runId(), event.id());
            }
        }
        return message.ack();
    }
}
