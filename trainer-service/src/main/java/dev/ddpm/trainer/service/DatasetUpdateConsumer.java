package dev.ddpm.trainer.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ddpm.core.events.DatasetUpdated;
import dev.ddpm.core.events.EventCodec;
import dev.ddpm.core.events.S3EventNotification;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ProcessedEvents;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Follows {@code ddpm.datasets}: DatasetUpdated CloudEvents and MinIO's own bucket notification
 * records for the datasets bucket both count as a change to a data set, which goes to the
 * {@link RetrainPolicy}. Duplicate events are dropped; malformed records are logged and skipped.
 * Runs only when a retraining policy is set.
 */
@Singleton
public class DatasetUpdateConsumer {

    private static final Logger LOG = Logger.getLogger(DatasetUpdateConsumer.class);

    private final KafkaSettings kafka;
    private final RetrainPolicy policy;
    private final ProcessedEvents processed = new ProcessedEvents(10_000);
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    public DatasetUpdateConsumer(KafkaSettings kafka, RetrainPolicy policy) {
        this.kafka = kafka;
        this.policy = policy;
    }

    void onStart(@Observes StartupEvent event) {
        if (!policy.enabled()) {
            return;
        }
        running.set(true);
        thread = new Thread(this::loop, "ddpm-dataset-updates");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        running.set(false);
        KafkaConsumer<String, byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
    }

    private void loop() {
        // A group of its own: its rebalances never disturb the training-request consumer mid-run.
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(kafka.consumer(kafka.consumerGroup() + "-datasets"))) {
            consumer = c;
            c.subscribe(List.of(Topic.DATASETS.topicName()));
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> record : c.poll(Duration.ofSeconds(1))) {
                    handle(record);
                }
                c.commitSync();
            }
        } catch (WakeupException e) {
            // shutting down
        } catch (RuntimeException e) {
            LOG.errorf("data set update consumer stopped: %s", e.toString());
        }
    }

    void handle(ConsumerRecord<String, byte[]> record) {
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        try {
            JsonNode node = Json.parse(record.value(), "ddpm.datasets record");
            if (S3EventNotification.matches(node)) {
                S3EventNotification.toDatasetUpdates(node).forEach(update -> policy.datasetChanged(update.dataset()));
                return;
            }
            var event = EventCodec.decode(node);
            if (!(event.data() instanceof DatasetUpdated update)) {
                LOG.warnf("skipping %s at %s: not a data set update", event.type(), where);
            } else if (processed.firstTime(event)) {
                policy.datasetChanged(update.dataset());
            }
        } catch (InvalidPayloadException e) {
            LOG.warnf("skipping malformed record %s: %s", where, e.getMessage());
        }
    }
}
