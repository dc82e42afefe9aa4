package dev.ddpm.gateway.client;

import dev.ddpm.core.api.ProtoMapping;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.gateway.config.GatewayConfig;
import dev.ddpm.proto.common.v1.GetModelRequest;
import dev.ddpm.proto.common.v1.ModelInfo;
import dev.ddpm.proto.common.v1.ModelRef;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.proto.sampler.v1.MutinySamplerServiceGrpc;
import dev.ddpm.proto.sampler.v1.SampleRequest;
import dev.ddpm.proto.sampler.v1.SamplerServiceGrpc;
import dev.ddpm.service.auth.OperatorKey;
import dev.ddpm.service.config.ConnectionsConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.smallrye.mutiny.Multi;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The sampler replicas over gRPC: one channel to the configured target, calls spread round-robin
 * over every address the name resolves to (a Kubernetes headless service gives one per pod), a
 * deadline on each call, the operator key ({@code ddpm.operator.key}) on every call, and cancellation passed through (a
 * client that goes away cancels the
 * sampler call, which frees its batch slots).
 */
@Singleton
public class SamplerClient {

    private static final Logger LOG = Logger.getLogger(SamplerClient.class);
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    private final GatewayConfig config;
    private final ManagedChannel channel;

    public SamplerClient(GatewayConfig config, ConnectionsConfig connections) {
        this.config = config;
        Metadata credentials = new Metadata();
        connections
                .operator()
                .key()
                .ifPresent(key ->
                        credentials.put(Metadata.Key.of(OperatorKey.HEADER, Metadata.ASCII_STRING_MARSHALLER), key));
        this.channel = ManagedChannelBuilder.forTarget(config.samplers())
                .defaultLoadBalancingPolicy("round_robin")
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .intercept(MetadataUtils.newAttachHeadersInterceptor(credentials))
                .usePlaintext()
                .build();
        LOG.infof("sampling through %s (round robin)", config.samplers());
    }

    /** Streams progress, previews and the result; cancelling the subscription cancels the call. */
    public Multi<SampleEvent> sample(SamplingRequest sampling, String requestId) {
        SampleRequest request = SampleRequest.newBuilder()
                .setRequestId(requestId == null ? UUID.randomUUID().toString() : requestId)
                .setParams(ProtoMapping.sampleParams(sampling, SampleParams.newBuilder()))
                .build();
        return MutinySamplerServiceGrpc.newMutinyStub(channel)
                .withDeadlineAfter(config.samplingDeadline().toMillis(), TimeUnit.MILLISECONDS)
                .sample(request);
    }

    /** What the serving sampler knows of a model (its T, image size, versions). */
    public ModelInfo model(String name, String version) {
        return SamplerServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .getModel(GetModelRequest.newBuilder()
                        .setModel(ModelRef.newBuilder().setName(name).setVersion(version == null ? "" : version))
                        .build());
    }

    @PreDestroy
    void close() {
        channel.shutdownNow();
    }
}
