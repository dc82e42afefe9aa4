package dev.ddpm.gateway.messaging.outgoing;

import dev.ddpm.service.config.ConnectionsConfig;
import dev.ddpm.service.messaging.EventSender;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * The gateway's outgoing channels, one emitter each: training requests, asynchronous sample jobs
 * and data set updates.
 */
@ApplicationScoped
public class GatewayEvents {

    private final EventSender trainingRequests;
    private final EventSender sampleJobs;
    private final EventSender datasetUpdates;

    public GatewayEvents(
            ConnectionsConfig config,
            @Channel("training-requests") MutinyEmitter<byte[]> trainingRequests,
            @Channel("sample-jobs") MutinyEmitter<byte[]> sampleJobs,
            @Channel("dataset-updates") MutinyEmitter<byte[]> datasetUpdates) {
        this.trainingRequests = new EventSender(trainingRequests, config.serviceName());
        this.sampleJobs = new EventSender(sampleJobs, config.serviceName());
        this.datasetUpdates = new EventSender(datasetUpdates, config.serviceName());
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
}
