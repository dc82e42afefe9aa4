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
import dev.ddpm.service.client.BackgroundConsumer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.jboss.logging.Logger;


/**
 * Follows {@code ddpm.datasets}: DatasetUpdated CloudEvents and MinIO's own bucket notification
 * records for the datasets bucket both count as a change to a data set, which goes to the
 * {@link RetrainPolicy}. Duplicate events are dropped; malformed records are logged and skipped.
 * Runs only when a retraining policy is set.
 */
@Singleton
public class DatasetUpdateConsumer extends BackgroundConsumer {

    private static final Logger LOG = Logger.getLogger(DatasetUpdateConsumer.class);

    private final KafkaSettings kafka;
    private final RetrainPolicy policy;
    private final ProcessedEvents processed = new ProcessedEvents(10_000);

    public DatasetUpdateConsumer(KafkaSettings kafka, RetrainPolicy policy) {
        super("ddpm-dataset-updates");
        this.kafka = kafka;
        this.policy = policy;
    }

    void onStart(@Observes StartupEvent event) {
        if (policy.enabled()) {
            // A group of its own: its rebalances never disturb the training-request consumer mid-run.
            start(kafka.consumer(kafka.consumerGroup() + "-datasets"), Topic.DATASETS.topicName());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    @Override
    protected boolean handle(KafkaConsumer<String, byte[]> consumer, ConsumerRecords<String, byte[]> records) {
        for (ConsumerRecord<String, byte[]> record : records) {
            handle(record);
        }
        consumer.commitSync();
        return true;
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
