package dev.ddpm.service.client;

import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Kafka consumer on a thread of its own for the life of the service: subclasses say what to do
 * with each batch of records; starting, polling, and a clean stop on shutdown (wake-up, join) are
 * written once here. A broker that is away only delays the polls; it never ends the loop.
 */
public abstract class BackgroundConsumer {

    private static final Logger LOG = Logger.getLogger(BackgroundConsumer.class);

    private final String name;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    protected BackgroundConsumer(String name) {
        this.name = name;
    }

    /** Starts polling {@code topic} with the given consumer configuration. */
    protected final void start(Map<String, Object> config, String topic) {
        running.set(true);
        thread = new Thread(() -> loop(config, topic), name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops polling and waits (up to 30 s) for the batch in hand to finish. */
    protected final void stop() {
        running.set(false);
        KafkaConsumer<String, byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    protected final boolean running() {
        return running.get();
    }

    /**
     * Handles one poll's records (and commits what it has dealt with).
     *
     * @return false to leave the loop without committing further (shutdown in the middle of work)
     */
    protected abstract boolean handle(KafkaConsumer<String, byte[]> consumer, ConsumerRecords<String, byte[]> records);

    /**
     * Polls with every partition paused until {@code work} is done, so that the group keeps this
     * member however long the work takes (no max.poll.interval eviction, no duplicate delivery to
     * another replica); records of partitions assigned meanwhile are handed back, not lost.
     */
    protected static void pollPausedUntilDone(KafkaConsumer<String, byte[]> c, java.util.concurrent.Future<?> work) {
        while (!work.isDone()) {
            c.pause(c.assignment());
            ConsumerRecords<String, byte[]> unexpected = c.poll(Duration.ofMillis(500));
            java.util.Map<org.apache.kafka.common.TopicPartition, Long> firstOffsets = new java.util.HashMap<>();
            for (var r : unexpected) {
                firstOffsets.merge(new org.apache.kafka.common.TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
            }
            firstOffsets.forEach(c::seek);
        }
        c.resume(c.paused());
    }

    private void loop(Map<String, Object> config, String topic) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(config)) {
            consumer = c;
            c.subscribe(List.of(topic));
            while (running.get()) {
                if (!handle(c, c.poll(Duration.ofSeconds(1)))) {
                    return;
                }
            }
        } catch (WakeupException e) {
            // stop() woke the consumer up
        } catch (RuntimeException e) {
            LOG.errorf("%s stopped: %s", name, e.toString());
        }
    }
}
