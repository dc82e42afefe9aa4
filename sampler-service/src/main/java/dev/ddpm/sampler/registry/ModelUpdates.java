package dev.ddpm.sampler.registry;

import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.service.client.BackgroundConsumer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.UUID;

/**
 * Keeps the registry current: at start, the newest version of each configured model (or of every
 * model in the bucket) is loaded, retrying while S3 is away; then every ModelPublished on the
 * compacted {@code ddpm.models} topic is installed. Each replica reads the topic in a group of its
 * own, so every replica sees every publication. A malformed record is logged and skipped.
 */
@Singleton
public class ModelUpdates extends BackgroundConsumer {

    private static final Logger LOG = Logger.getLogger(ModelUpdates.class);
    private static final long RETRY_MILLIS = 5_000;

    private final ModelRegistry registry;
    private final KafkaSettings kafka;
    private final SamplerConfig config;
    private Thread loader;

    public ModelUpdates(ModelRegistry registry, KafkaSettings kafka, SamplerConfig config) {
        super("ddpm-model-updates");
        this.registry = registry;
        this.kafka = kafka;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        loader = new Thread(this::loadInitialModels, "ddpm-model-loader");
        loader.setDaemon(true);
        loader.start();
        if (config.followPublications()) {
            start(kafka.consumer(kafka.consumerGroup() + "-" + UUID.randomUUID()), Topic.MODELS.topicName());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (loader != null) {
            loader.interrupt();
        }
        stop();
    }

    private void loadInitialModels() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                List<String> names = config.models().filter(l -> !l.isEmpty()).orElseGet(registry::storedModels);
                for (String name : names) {
                    if (!registry.current().containsKey(name) && registry.installLatest(name).isEmpty()) {
                        LOG.infof("model %s has no loadable version yet; it loads when one is published", name);
                    }
                }
                return;
            } catch (StorageException e) {
                LOG.debugf("models bucket not reachable yet (%s); retrying", e.getMessage());
            } catch (RuntimeException e) {
                LOG.warnf("loading the initial models failed: %s; retrying", e.getMessage());
            }
            try {
                Thread.sleep(RETRY_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    protected boolean handle(KafkaConsumer<String, byte[]> consumer, ConsumerRecords<String, byte[]> records) {
        for (ConsumerRecord<String, byte[]> record : records) {
            ReceivedEvent received = ReceivedEvent.of(record);
            if (!received.valid()) {
                LOG.warnf("skipped malformed record %s: %s", received.coordinates(), received.rejection());
                continue;
            }
            if (!(received.event().data() instanceof ModelPublished published) || !wanted(published.name())) {
                continue;
            }
            try {
                registry.install(published.manifestKey(), published.sha256());
            } catch (RuntimeException e) {
                // Rejections are announced by the registry; the current version keeps serving.
                LOG.warnf("model %s version %s not installed: %s", published.name(), published.version(), e.getMessage());
            }
        }
        return running();
    }

    private boolean wanted(String name) {
        return config.models().map(list -> list.isEmpty() || list.contains(name)).orElse(true);
    }
}
