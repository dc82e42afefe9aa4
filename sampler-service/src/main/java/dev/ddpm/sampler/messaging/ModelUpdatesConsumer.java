package dev.ddpm.sampler.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.ModelAliasChanged;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.events.ModelRejected;
import dev.ddpm.core.events.ModelVersionDeleted;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.storage.ObjectIntegrityException;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.core.storage.ObjectTooLargeException;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.engine.ModelRejectedException;
import dev.ddpm.sampler.registry.MissedModelUpdates;
import dev.ddpm.sampler.registry.ModelRegistry;
import dev.ddpm.service.messaging.DeadLetters;
import dev.ddpm.service.messaging.EventMessages;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Follows the compacted {@code ddpm.models} topic: ModelAliasChanged serves production and the
 * canary as the newer of the event and the model's alias document says; ModelPublished installs the
 * new version only for a model without an alias document (with one, a new version is a candidate
 * and production stays); ModelVersionDeleted drops a pinned version. Each replica reads the topic in
 * a group of its own from the beginning, so every replica sees every change, and a replayed one
 * changes nothing (its revision is not newer). A version that fails its checks is rejected by the
 * registry (announced as ModelRejected, the current version serving on). An update that meets S3
 * away is retried ({@link ModelUpdateAttempts}) and, should S3 stay away longer, left to the periodic
 * alias refresh ({@link MissedModelUpdates}) instead of being dead-lettered. A record that cannot be
 * decoded, or whose handling fails in any other way, goes to {@code ddpm.models.dlq}.
 */
@ApplicationScoped
public class ModelUpdatesConsumer {

    static final String CHANNEL = "model-updates";
    private static final Logger LOG = Logger.getLogger(ModelUpdatesConsumer.class);

    private final ModelRegistry registry;
    private final SamplerConfig config;
    private final DeadLetters deadLetters;
    private final ModelUpdateAttempts attempts;
    private final MissedModelUpdates missed;

    public ModelUpdatesConsumer(
            ModelRegistry registry,
            SamplerConfig config,
            DeadLetters deadLetters,
            ModelUpdateAttempts attempts,
            MissedModelUpdates missed) {
        this.registry = registry;
        this.config = config;
        this.deadLetters = deadLetters;
        this.attempts = attempts;
        this.missed = missed;
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> onRecord(Message<byte[]> message) {
        return deadLetters.acknowledgeAfter(CHANNEL, message, () -> {
            CloudEvent<?> event = EventMessages.decode(message);
            try {
                attempts.apply(() -> handle(event));
            } catch (StorageException e) {
                if (!outage(e) || model(event) == null) {
                    throw e;
                }
                missed.missed(model(event));
                LOG.warnf(
                        "%s for model %s not applied, S3 stays away (%s); the alias refresh applies what the"
                                + " bucket holds once it answers",
                        event.type(), model(event), e.getMessage());
            }
        });
    }

    /** S3 away, as opposed to an object that is missing, corrupt or too large. */
    private static boolean outage(StorageException e) {
        return !(e instanceof ObjectNotFoundException
                || e instanceof ObjectIntegrityException
                || e instanceof ObjectTooLargeException);
    }

    /** The model an update is about; null for an event that names none. */
    private static String model(CloudEvent<?> event) {
        if (event.data() instanceof ModelPublished published) {
            return published.name();
        }
        if (event.data() instanceof ModelAliasChanged changed) {
            return changed.name();
        }
        return null;
    }

    private void handle(CloudEvent<?> event) {
        if (event.data() instanceof ModelRejected) {
            return; // a replica's verdict, nothing to install
        }
        if (event.data() instanceof ModelPublished published) {
            onPublished(published);
        } else if (event.data() instanceof ModelAliasChanged changed) {
            onAliasChanged(changed);
        } else if (event.data() instanceof ModelVersionDeleted deleted) {
            registry.dropVersion(deleted.name(), deleted.version());
        } else {
            throw new InvalidPayloadException("unexpected event type '" + event.type() + "' on ddpm.models", "type");
        }
    }

    private void onPublished(ModelPublished published) {
        if (!config.followPublications() || !wanted(published.name())) {
            return;
        }
        try {
            Optional<ModelAliases> aliases = registry.storedAliases(published.name());
            if (aliases.isPresent()) {
                // A candidate: what serves is the document's production (applied if not yet).
                registry.apply(aliases.get());
            } else {
                // Published before aliases existed, or its first version before the document is written.
                registry.install(published.manifestKey(), published.sha256());
            }
        } catch (ModelRejectedException e) {
            LOG.warnf("model %s version %s not installed: %s", published.name(), published.version(), e.getMessage());
        }
    }

    private void onAliasChanged(ModelAliasChanged changed) {
        if (!config.followPublications() || !wanted(changed.name())) {
            return;
        }
        ModelAliases announced = new ModelAliases(
                ModelAliases.CURRENT_SCHEMA,
                changed.name(),
                changed.revision(),
                changed.change().at(),
                null,
                null,
                changed.aliases(),
                changed.canary(),
                List.of());
        ModelAliases newest = announced;
        try {
            newest = registry.storedAliases(changed.name())
                    .filter(stored -> stored.revision() >= announced.revision())
                    .orElse(announced);
        } catch (StorageException e) {
            LOG.warnf(
                    "the alias document of model %s cannot be read (%s); serving revision %d as announced",
                    changed.name(), e.getMessage(), changed.revision());
        }
        try {
            registry.apply(newest);
        } catch (ModelRejectedException e) {
            LOG.warnf(
                    "model %s revision %d not applied, the versions served stay: %s",
                    changed.name(), newest.revision(), e.getMessage());
        }
    }

    private boolean wanted(String name) {
        return config.models()
                .map(list -> list.isEmpty() || list.contains(name))
                .orElse(true);
    }
}
