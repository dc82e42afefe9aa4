package dev.ddpm.trainer.messaging;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.DatasetUpdated;
import dev.ddpm.core.events.S3EventNotification;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.messaging.CloudEventBinding;
import dev.ddpm.core.messaging.ProcessedEvents;
import dev.ddpm.service.messaging.DeadLetters;
import dev.ddpm.service.messaging.EventMessages;
import dev.ddpm.trainer.service.RetrainPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.util.concurrent.CompletionStage;

/**
 * Follows {@code ddpm.datasets}: DatasetUpdated CloudEvents and MinIO's own bucket notification
 * records (plain JSON, not CloudEvents) for the datasets bucket both count as a change to a data
 * set, which goes to the {@link RetrainPolicy}. Duplicate events change nothing; a record that is
 * neither goes to {@code ddpm.datasets.dlq}. With no retraining policy, changes are read and ignored.
 */
@ApplicationScoped
public class DatasetEventsConsumer {

    static final String CHANNEL = "dataset-updates";
    private static final Logger LOG = Logger.getLogger(DatasetEventsConsumer.class);

    private final RetrainPolicy policy;
    private final DeadLetters deadLetters;
    private final ProcessedEvents processed = new ProcessedEvents(10_000);

    public DatasetEventsConsumer(RetrainPolicy policy, DeadLetters deadLetters) {
        this.policy = policy;
        this.deadLetters = deadLetters;
    }

    @Incoming(CHANNEL)
    public CompletionStage<Void> onRecord(Message<byte[]> message) {
        return deadLetters.acknowledgeAfter(CHANNEL, message, () -> handle(message));
    }

    private void handle(Message<byte[]> message) {
        if (!CloudEventBinding.isCloudEvent(EventMessages.headers(message))) {
            JsonNode node = Json.parse(message.getPayload(), "ddpm.datasets record");
            if (S3EventNotification.matches(node)) {
                S3EventNotification.toDatasetUpdates(node).forEach(update -> policy.datasetChanged(update.dataset()));
                return;
            }
        }
        CloudEvent<?> event = EventMessages.decode(message);
        if (!(event.data() instanceof DatasetUpdated update)) {
            throw new InvalidPayloadException(
                    "expected a data set update on " + CHANNEL + ", got '" + event.type() + "'", "type");
        }
        if (processed.firstTime(event)) {
            policy.datasetChanged(update.dataset());
        } else {
            LOG.debugf("duplicate data set update %s ignored", event.id());
        }
    }
}
