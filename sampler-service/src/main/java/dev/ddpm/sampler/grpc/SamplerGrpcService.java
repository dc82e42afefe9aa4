package dev.ddpm.sampler.grpc;

import dev.ddpm.core.api.ProtoMapping;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.proto.common.v1.GetModelRequest;
import dev.ddpm.proto.common.v1.ListModelsRequest;
import dev.ddpm.proto.common.v1.ListModelsResponse;
import dev.ddpm.proto.common.v1.ModelInfo;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.sampler.v1.SampleRequest;
import dev.ddpm.proto.sampler.v1.SamplerServiceGrpc;
import dev.ddpm.sampler.batching.Priority;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.output.PreviewEncoder;
import dev.ddpm.sampler.registry.ModelRegistry;
import dev.ddpm.sampler.service.SamplingService;
import dev.ddpm.service.grpc.GrpcProblems;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The sampler's internal gRPC API (ddpm/sampler/v1/sampler.proto): Sample streams progress and
 * previews at the pace its reader takes them ({@link SampleStream}), then the result; cancelling the
 * call frees its batch slots at the next step. Failures are written by the shared
 * {@link GrpcProblems}: the field at fault and the retry hint travel as trailers. Written against
 * grpc-java's stream observers, whose readiness (flow control) a Mutiny stream would hide.
 */
@GrpcService
public class SamplerGrpcService extends SamplerServiceGrpc.SamplerServiceImplBase {

    private final SamplingService sampling;
    private final ModelRegistry registry;
    private final PreviewEncoder previews;
    private final MeterRegistry meters;

    public SamplerGrpcService(
            SamplingService sampling, ModelRegistry registry, PreviewEncoder previews, MeterRegistry meters) {
        this.sampling = sampling;
        this.registry = registry;
        this.previews = previews;
        this.meters = meters;
    }

    @Override
    @Blocking // a pinned version is loaded from S3 on first use
    public void sample(SampleRequest request, StreamObserver<SampleEvent> responses) {
        ServerCallStreamObserver<SampleEvent> call = (ServerCallStreamObserver<SampleEvent>) responses;
        AtomicReference<SamplingJob> started = new AtomicReference<>();
        AtomicReference<SampleStream> stream = new AtomicReference<>();
        // Nothing may be written once the client has reset the stream: the HTTP/2 server would answer
        // such a write with a GOAWAY that ends every other call on the connection.
        call.setOnCancelHandler(() -> {
            SampleStream open = stream.get();
            if (open != null) {
                open.cancelled();
            }
            SamplingJob job = started.get();
            if (job != null) {
                job.cancel();
            }
        });
        try {
            SamplingRequest spec =
                    ProtoMapping.samplingRequest(request.getParams()).withDeadlineAtMost(CallDeadlines.remaining());
            stream.set(new SampleStream(call, spec, previews, meters));
            SamplingJob job = sampling.start(
                    request.getRequestId(), spec, Priority.INTERACTIVE, stream.get(), CallerIdentity.current());
            started.set(job);
            if (call.isCancelled()) {
                stream.get().cancelled();
                job.cancel();
            }
        } catch (RuntimeException e) {
            if (!call.isCancelled()) {
                responses.onError(GrpcProblems.status(e));
            }
        }
    }

    @Override
    @Blocking
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
        ListModelsResponse.Builder response = ListModelsResponse.newBuilder();
        registry.current()
                .values()
                .forEach(m -> response.addModels(
                        withAliases(ProtoMapping.modelInfo(m.manifest(), List.of(), ModelInfo.newBuilder()), m)));
        responses.onNext(response.build());
        responses.onCompleted();
    }

    @Override
    @Blocking
    public void getModel(GetModelRequest request, StreamObserver<ModelInfo> responses) {
        ModelInfo info;
        try (LoadedModel.Lease lease = registry.acquire(
                request.getModel().getName(), request.getModel().getVersion(), CallerIdentity.current())) {
            info = ProtoMapping.modelInfo(
                            lease.model().manifest(),
                            registry.versions(request.getModel().getName()),
                            ModelInfo.newBuilder())
                    .build();
        } catch (RuntimeException e) {
            responses.onError(GrpcProblems.status(e));
            return;
        }
        responses.onNext(info);
        responses.onCompleted();
    }

    /**
     * The model's production and candidate versions and production's canary split, as this replica
     * serves them (a model without an alias document: its current version as production).
     */
    private ModelInfo.Builder withAliases(ModelInfo.Builder info, LoadedModel production) {
        Optional<ModelAliases> aliases = registry.aliases(production.name());
        return ProtoMapping.modelAliases(
                aliases.map(ModelAliases::aliases).orElse(Map.of(ModelAliases.PRODUCTION, production.version())),
                aliases.map(ModelAliases::canary).orElse(null),
                info);
    }
}
