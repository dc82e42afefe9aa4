package dev.ddpm.gateway.messaging.outgoing;

import dev.ddpm.service.config.ConnectionsConfig;
import dev.ddpm.service.messaging.EventSender;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * The gateway's outgoing channels, one emitter each: training requests (and their cancellations),
 * asynchronous sample jobs, data set updates and the model lifecycle's announcements.
 */
@ApplicationScoped
public class GatewayEvents {

    private final EventSender trainingRequests;
    private final EventSender sampleJobs;
    private final EventSender datasetUpdates;
    private final EventSender models;

    public GatewayEvents(
            ConnectionsConfig config,
            @Channel("training-requests") MutinyEmitter<byte[]> trainingRequests,
            @Channel("sample-jobs") MutinyEmitter<byte[]> sampleJobs,
            @Channel("dataset-updates") MutinyEmitter<byte[]> datasetUpdates,
            @Channel("model-events") MutinyEmitter<byte[]> models) {
        this.trainingRequests = new EventSender(trainingRequests, config.serviceName());
        this.sampleJobs = new EventSender(sampleJobs, config.serviceName());
        this.datasetUpdates = new EventSender(datasetUpdates, config.serviceName());
        this.models = new EventSender(models, config.serviceName());
    }

    public EventSender trainingRequests() {
        return trainingRequests;
    }

    public EventSender sampleJobs() {
        return sampleJobs;
    }

    public EventSender datasetUpdates() {
        return datasetUpdates;
    }

    /** {@code ddpm.models}: alias changes and deleted versions. */
    public EventSender models() {
        return models;
    }
}
