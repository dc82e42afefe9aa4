package dev.ddpm.trainer.messaging.outgoing;

import dev.ddpm.service.config.ConnectionsConfig;
import dev.ddpm.service.messaging.EventSender;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * The trainer's outgoing channels, one emitter each: run reports on {@code ddpm.training-events},
 * model announcements on {@code ddpm.models}, and the training requests its retraining policy makes
 * on {@code ddpm.training-requests}.
 */
@ApplicationScoped
public class TrainerEvents {

    private final EventSender trainingEvents;
    private final EventSender models;
    private final EventSender trainingRequests;

    public TrainerEvents(
            ConnectionsConfig config,
            @Channel("training-events") MutinyEmitter<byte[]> trainingEvents,
            @Channel("model-announcements") MutinyEmitter<byte[]> models,
            @Channel("retrain-requests") MutinyEmitter<byte[]> trainingRequests) {
        this.trainingEvents = new EventSender(trainingEvents, config.serviceName());
        this.models = new EventSender(models, config.serviceName());
        this.trainingRequests = new EventSender(trainingRequests, config.serviceName());
    }

    public EventSender trainingEvents() {
        return trainingEvents;
    }

    public EventSender models() {
        return models;
    }

    public EventSender trainingRequests() {
        return trainingRequests;
    }
}
