package dev.ddpm.sampler.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.events.ModelRejected;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.engine.ModelRejectedException;
import dev.ddpm.sampler.registry.ModelRegistry;
import dev.ddpm.service.messaging.DeadLetters;
import dev.ddpm.service.messaging.EventMessages;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.util.concurrent.CompletionStage;

/**
 * Installs every ModelPublished on the compacted {@code ddpm.models} topic. Each replica reads the
 * topic in a group of its own from the beginning, so every replica sees every publication. A
 * version that fails its checks is rejected by the registry (announced as ModelRejected, the
 * current version serving on); a record that cannot be decoded, or whose handling fails in any
 * other way, goes to {@code ddpm.models.dlq}.
 */
@ApplicationScoped
public class ModelUpdatesConsumer {

    static final String CHANNEL = "model-updates";
    private static final Logger LOG = Logger.getLogger(ModelUpdatesConsumer.class);

    private final ModelRegistry registry;
    private final SamplerConfig config;
    private final DeadLetters deadLetters;

    public ModelUpdatesConsumer(ModelRegistry registry, SamplerConfig config, DeadLetters deadLetters) {
        this.registry = registry;
        this.config = config;
        this.deadLetters = deadLetters;
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> onRecord(Message<byte[]> message) {
        return deadLetters.acknowledgeAfter(CHANNEL, message, () -> handle(EventMessages.decode(message)));
    }

    private void handle(CloudEvent<?> event) {
        if (event.data() instanceof ModelRejected) {
            return; // the topic's other event: a replica's verdict, nothing to install
        }
        if (!(event.data() instanceof ModelPublished published)) {
            throw new InvalidPayloadException("unexpected event type '" + event.type() + "' on ddpm.models", "type");
        }
        if (!config.followPublications() || !wanted(published.name())) {
            return;
        }
        try {
            registry.install(published.manifestKey(), published.sha256());
        } catch (ModelRejectedException e) {
            LOG.warnf("model %s version %s not installed: %s", published.name(), published.version(), e.getMessage());
        }
    }

    private boolean wanted(String name) {
        return config.models()
                .map(list -> list.isEmpty() || list.contains(name))
                .orElse(true);
    }
}
