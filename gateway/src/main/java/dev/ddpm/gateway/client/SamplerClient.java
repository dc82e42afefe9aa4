package dev.ddpm.gateway.client;

import dev.ddpm.core.api.ProtoMapping;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.config.GatewayConfig;
import dev.ddpm.proto.common.v1.GetModelRequest;
import dev.ddpm.proto.common.v1.ModelInfo;
import dev.ddpm.proto.common.v1.ModelRef;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.proto.sampler.v1.SampleRequest;
import dev.ddpm.proto.sampler.v1.SamplerServiceGrpc;
import dev.ddpm.service.auth.CallerHeader;
import dev.ddpm.service.auth.OperatorKey;
import dev.ddpm.service.config.ConnectionsConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The sampler replicas over gRPC: one channel to the configured target, calls spread round-robin
 * over every address the name resolves to (a Kubernetes headless service gives one per pod; the
 * name is resolved again every {@code gateway.samplers-refresh}, so pods added since get calls), a deadline on each call, the operator key
 * ({@code ddpm.operator.key}) on every call and the caller's key id in {@value #CALLER_HEADER}. A
 * client that goes away cancels the sampler call, which frees its batch slots; a slow client gets
 * the newest previews, not all of them ({@link SamplerCall}).
 */
@Singleton
public class SamplerClient {

    private static final Logger LOG = Logger.getLogger(SamplerClient.class);
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    /** gRPC metadata naming the API key a sampling call is made for (the sampler limits some work per caller). */
    public static final String CALLER_HEADER = CallerHeader.NAME;

    private static final Metadata.Key<String> CALLER = Metadata.Key.of(CALLER_HEADER, Metadata.ASCII_STRING_MARSHALLER);
    private static final Pattern PRINTABLE_ASCII = Pattern.compile("[\\x20-\\x7e]+");

    /**
     * A Sample call a sampler refuses with UNAVAILABLE (shutting down, or not reachable) is tried again
     * on the next replica the balancer picks: the refusal comes before the sampler sends anything, and
     * gRPC retries a call only while no answer has reached it, so no work is done twice. Numbers are
     * doubles, as the service config's JSON form has them.
     */
    private static final Map<String, Object> RETRY_REFUSED_SAMPLES = Map.of(
            "methodConfig",
            List.of(Map.of(
                    "name",
                    List.of(Map.of("service", SamplerServiceGrpc.SERVICE_NAME, "method", "Sample")),
                    "retryPolicy",
                    Map.of(
                            "maxAttempts",
                            3.0,
                            "initialBackoff",
                            "0.2s",
                            "maxBackoff",
                            "1s",
                            "backoffMultiplier",
                            2.0,
                            "retryableStatusCodes",
                            List.of("UNAVAILABLE")))));

    private final GatewayConfig config;
    private final ManagedChannel channel;
    private final AtomicInteger openCalls = new AtomicInteger();
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "ddpm-samplers-refresh");
        thread.setDaemon(true);
        return thread;
    });
    private final Counter superseded;

    public SamplerClient(GatewayConfig config, ConnectionsConfig connections, MeterRegistry registry) {
        this.config = config;
        Gauge.builder("ddpm.gateway.sampler.calls", openCalls, AtomicInteger::get)
                .description("Sampling calls to the samplers open now")
                .register(registry);
        this.superseded = SupersededEvents.counter(registry);
        Metadata credentials = new Metadata();
        connections
                .operator()
                .key()
                .ifPresent(key ->
                        credentials.put(Metadata.Key.of(OperatorKey.HEADER, Metadata.ASCII_STRING_MARSHALLER), key));
        this.channel = ManagedChannelBuilder.forTarget(config.samplers())
                .defaultLoadBalancingPolicy("round_robin")
                .defaultServiceConfig(RETRY_REFUSED_SAMPLES)
                .enableRetry()
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .intercept(MetadataUtils.newAttachHeadersInterceptor(credentials))
                .usePlaintext()
                .build();
        LOG.infof("sampling through %s (round robin)", config.samplers());
        long refresh = config.samplersRefresh().toMillis();
        if (refresh < 1) {
            throw new IllegalArgumentException(
                    "gateway.samplers-refresh must be at least 1 ms, was " + config.samplersRefresh());
        }
        // A channel resolves its target only when it connects or a connection fails: while every sampler
        // stays up it would never see a new one. Idling it drops the resolver and balancer (calls running
        // go on); the next call resolves the name again and connects to every address it has now.
        refresher.scheduleWithFixedDelay(channel::enterIdle, refresh, refresh, TimeUnit.MILLISECONDS);
    }

    /**
     * Streams progress, previews and the result for {@code caller}; cancelling the subscription cancels
     * the call. Each subscription makes its own call.
     */
    public Multi<SampleEvent> sample(Caller caller, SamplingRequest sampling) {
        return sample(caller, sampling, event -> {});
    }

    /**
     * As {@link #sample(Caller, SamplingRequest)}, with {@code onArrival} told of every event as the
     * sampler sends it, whether or not the client has read it yet (what the call has used).
     */
    public Multi<SampleEvent> sample(Caller caller, SamplingRequest sampling, Consumer<SampleEvent> onArrival) {
        SampleRequest request = SampleRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString())
                .setParams(ProtoMapping.sampleParams(sampling, SampleParams.newBuilder()))
                .build();
        Metadata metadata = new Metadata();
        if (PRINTABLE_ASCII.matcher(caller.keyId()).matches()) {
            metadata.put(CALLER, caller.keyId());
        }
        SamplerServiceGrpc.SamplerServiceStub stub = SamplerServiceGrpc.newStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
        return SamplerCall.of(
                (call, observer) -> {
                    openCalls.incrementAndGet();
                    stub.withDeadlineAfter(config.samplingDeadline().toMillis(), TimeUnit.MILLISECONDS)
                            .sample(call, observer);
                },
                request,
                openCalls::decrementAndGet,
                superseded::increment,
                onArrival);
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
        refresher.shutdownNow();
        channel.shutdownNow();
    }
}
