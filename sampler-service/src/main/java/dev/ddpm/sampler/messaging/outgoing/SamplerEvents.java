package dev.ddpm.sampler.messaging.outgoing;

import dev.ddpm.service.config.ConnectionsConfig;
import dev.ddpm.service.messaging.EventSender;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * The sampler's outgoing channels, one emitter each: outcomes of asynchronous jobs on
 * {@code ddpm.sample-results} and rejected model versions on {@code ddpm.models}.
 */
@ApplicationScoped
public class SamplerEvents {

    private final EventSender sampleResults;
    private final EventSender modelRejections;

    public SamplerEvents(
            ConnectionsConfig config,
            @Channel("sample-results") MutinyEmitter<byte[]> sampleResults,
            @Channel("model-rejections") MutinyEmitter<byte[]> modelRejections) {
        this.sampleResults = new EventSender(sampleResults, config.serviceName());
        this.modelRejections = new EventSender(modelRejections, config.serviceName());
    }

    public EventSender sampleResults() {
        return sampleResults;
    }

    public EventSender modelRejections() {
        return modelRejections;
    }
}
