package dev.ddpm.gateway.messaging;

import dev.ddpm.gateway.service.ModelAccess;
import dev.ddpm.service.messaging.DeadLetters;
import dev.ddpm.service.messaging.EventMessages;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.util.concurrent.CompletionStage;

/**
 * Follows {@code ddpm.models} so that {@link ModelAccess} reads a model again after any change
 * made elsewhere (a version published by a trainer, sharing or aliases changed through another
 * replica or the command line). Each replica reads the topic in a group of its own (a record from
 * before its start only forgets what it has not yet kept). A record that cannot be decoded goes to
 * {@code ddpm.models.dlq}.
 */
@ApplicationScoped
public class ModelChangesConsumer {

    static final String CHANNEL = "model-changes";

    private final ModelAccess access;
    private final DeadLetters deadLetters;

    public ModelChangesConsumer(ModelAccess access, DeadLetters deadLetters) {
        this.access = access;
        this.deadLetters = deadLetters;
    }

    @Incoming(CHANNEL)
    public CompletionStage<Void> onEvent(Message<byte[]> message) {
        return deadLetters.acknowledgeAfter(
                CHANNEL,
                message,
                () -> access.forget(EventMessages.decode(message).data().partitionKey()));
    }
}
