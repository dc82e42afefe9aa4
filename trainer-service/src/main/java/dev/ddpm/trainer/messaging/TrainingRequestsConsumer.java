package dev.ddpm.trainer.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.TrainingCancelRequested;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.messaging.ProcessedEvents;
import dev.ddpm.service.messaging.DeadLetters;
import dev.ddpm.service.messaging.EventMessages;
import dev.ddpm.trainer.service.TrainingService;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;

/**
 * TrainingRequested events from {@code ddpm.training-requests}, one run at a time per trainer;
 * replicas share the consumer group. The handler blocks a worker thread for the whole run while the
 * connector goes on polling with the partitions paused, so the group keeps this member however long
 * the run takes; the request is acknowledged (its offset committed by the throttled strategy) only
 * when the run has ended, completed or failed. A run paused for a rebalance or a shutdown is left
 * unacknowledged, and whoever owns the partition next resumes it from its checkpoint
 * ({@link RunOwnership}). A run's end is stored ({@code outcome.json}) and its terminal event
 * acknowledged by the broker before its request is; when either fails the request stays
 * unacknowledged, and its redelivery sends the stored end's event again, or finishes a run that ended
 * without one, training nothing ({@link TrainingService#run}). A cancelled run ends as
 * TrainingCancelled and its request is acknowledged. TrainingCancelRequested
 * records on the topic are acknowledged as they come: {@link TrainingCancelsConsumer} acts on them.
 * Anything else that goes wrong sends the record to {@code ddpm.training-requests.dlq}.
 */
@ApplicationScoped
public class TrainingRequestsConsumer {

    static final String CHANNEL = "training-requests";
    private static final Logger LOG = Logger.getLogger(TrainingRequestsConsumer.class);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
    private static final Duration MAX_RETRY = Duration.ofMinutes(2);

    private final TrainingService training;
    private final RunOwnership ownership;
    private final DeadLetters deadLetters;
    private final ProcessedEvents processed = new ProcessedEvents(10_000);

    public TrainingRequestsConsumer(
            TrainingService training, @Identifier(RunOwnership.NAME) RunOwnership ownership, DeadLetters deadLetters) {
        this.training = training;
        this.ownership = ownership;
        this.deadLetters = deadLetters;
    }

    void onStop(@Observes ShutdownEvent event) {
        ownership.shutdown();
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> onRequest(Message<byte[]> message) {
        try {
            return handle(message);
        } catch (Throwable e) { // Errors too: nothing a record does may end the channel
            return deadLetters.send(CHANNEL, message, e);
        }
    }

    private CompletionStage<Void> handle(Message<byte[]> message) {
        CloudEvent<?> event = EventMessages.decode(message);
        if (event.data() instanceof TrainingCancelRequested cancel) {
            // Cancels share the topic; TrainingCancelsConsumer acts on them, while a run may block this channel.
            LOG.debugf("run %s: cancel request %s passed by", cancel.runId(), event.id());
            return message.ack();
        }
        if (!(event.data() instanceof TrainingRequested request)) {
            throw new InvalidPayloadException(
                    "expected a training request on " + CHANNEL + ", got '" + event.type() + "'", "type");
        }
        if (processed.handled(event)) {
            LOG.infof("run %s: duplicate request %s ignored", request.runId(), event.id());
            return message.ack();
        }
        LOG.infof(
                "run %s requested (%s): training %s on %s",
                request.runId(),
                EventMessages.coordinates(message),
                request.request().modelName(),
                request.request().dataset());
        TopicPartition partition = partition(message);
        boolean[] settled = {false};
        switch (ownership.run(partition, stop -> settled[0] = untilSettled(request, stop))) {
            case NOT_OWNED -> {
                LOG.infof(
                        "run %s: partition %s was revoked before the run started; its new owner runs it",
                        request.runId(), partition);
                return CompletableFuture.completedFuture(null);
            }
            case HANDED_OFF -> {
                LOG.infof(
                        "run %s paused with its request unacknowledged; it resumes from its checkpoint",
                        request.runId());
                return CompletableFuture.completedFuture(null);
            }
            case ENDED -> {}
        }
        if (!settled[0]) {
            // Acknowledged, the request would be gone while the run's end is not on record or not announced.
            LOG.warnf(
                    "run %s: its end is not stored and announced (or another trainer owns it); its request stays"
                            + " unacknowledged, and a redelivery finishes it",
                    request.runId());
            return CompletableFuture.completedFuture(null);
        }
        processed.remember(event);
        return message.ack();
    }

    /**
     * Runs the request until it is settled, trying again with backoff while an outage keeps its end
     * from being stored or announced (S3 or the broker away past their own retries): the request is
     * not left unacknowledged while this trainer goes on with nothing to redeliver it. Returns false
     * when the run paused ({@code stop}) or another trainer holds it.
     */
    private boolean untilSettled(TrainingRequested request, BooleanSupplier stop) {
        Duration wait = FIRST_RETRY;
        while (true) {
            switch (training.run(request, stop)) {
                case SETTLED -> {
                    return true;
                }
                case NOT_OURS -> {
                    return false;
                }
                case UNSETTLED -> {
                    if (stop.getAsBoolean()) {
                        return false;
                    }
                }
            }
            LOG.warnf("run %s is not settled; its request is tried again in %s", request.runId(), wait);
            if (!pause(wait, stop)) {
                return false;
            }
            wait = wait.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : wait.multipliedBy(2);
        }
    }

    /** Sleeps {@code wait}, waking early for {@code stop}; false when stopped. */
    private static boolean pause(Duration wait, BooleanSupplier stop) {
        long until = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < until) {
            if (stop.getAsBoolean()) {
                return false;
            }
            try {
                Thread.sleep(Math.min(500, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return !stop.getAsBoolean();
    }

    private static TopicPartition partition(Message<?> message) {
        IncomingKafkaRecordMetadata<?, ?> kafka =
                message.getMetadata(IncomingKafkaRecordMetadata.class).orElseThrow();
        return new TopicPartition(kafka.getTopic(), kafka.getPartition());
    }
}
