package dev.ddpm.trainer.messaging;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Which partitions of {@code ddpm.training-requests} this trainer owns, and the hand-off of a run
 * whose partition moves to another replica. The connector calls the listener on its polling thread
 * during a rebalance: when the partition of the running request is revoked, the run is told to
 * pause (a checkpoint at its next step) and the rebalance waits for it, so the new owner, which
 * receives the uncommitted request again, resumes from that checkpoint and the same run never
 * trains twice at once. A request still buffered from a partition that was revoked is not started.
 */
@ApplicationScoped
@Identifier(RunOwnership.NAME)
public class RunOwnership implements KafkaConsumerRebalanceListener {

    static final String NAME = "training-requests";
    private static final Logger LOG = Logger.getLogger(RunOwnership.class);
    /** Longer than a step and a checkpoint of any preset on a CPU; shorter than max.poll.interval.ms. */
    private static final Duration HAND_OFF_WAIT = Duration.ofMinutes(4);

    private final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
    private volatile TopicPartition running;
    private volatile boolean handOff;
    private volatile boolean shuttingDown;
    private volatile CompletableFuture<Void> runEnded = CompletableFuture.completedFuture(null);

    /** How a request handed to {@link #run} ended. */
    public enum Outcome {
        /** Completed or failed: the request is settled. */
        ENDED,
        /** Paused for a rebalance or a shutdown: the next owner resumes it. */
        HANDED_OFF,
        /** Its partition had already been revoked: not started, its new owner runs it. */
        NOT_OWNED
    }

    /**
     * Runs {@code run} for a request from {@code partition} if this trainer still owns it; the run
     * gets a stop signal that turns true when the partition is revoked or the service shuts down.
     */
    public Outcome run(TopicPartition partition, java.util.function.Consumer<BooleanSupplier> run) {
        handOff = false;
        runEnded = new CompletableFuture<>();
        running = partition; // published before the ownership check: a revocation either sees it or is seen
        try {
            if (!owned.contains(partition)) {
                return Outcome.NOT_OWNED;
            }
            run.accept(() -> handOff || shuttingDown);
        } finally {
            running = null;
            runEnded.complete(null);
        }
        return handOff || shuttingDown ? Outcome.HANDED_OFF : Outcome.ENDED;
    }

    /** The service is stopping: the run pauses at its next step and its request stays uncommitted. */
    public void shutdown() {
        shuttingDown = true;
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        owned.addAll(partitions);
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        owned.removeAll(partitions);
        TopicPartition current = running;
        if (current == null || !partitions.contains(current)) {
            return;
        }
        LOG.infof("partition %s moves to another trainer: pausing its run at the next step for the new owner", current);
        handOff = true;
        try {
            runEnded.get(HAND_OFF_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warnf(
                    "the run of %s did not pause within %s; the new owner may start it alongside",
                    current, HAND_OFF_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // the run ended with an error; its request is settled by the consumer
        }
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        onPartitionsRevoked(consumer, partitions);
    }
}
