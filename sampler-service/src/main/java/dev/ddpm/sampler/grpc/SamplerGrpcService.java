package dev.ddpm.sampler.grpc;

import com.google.protobuf.ByteString;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.ProtoMapping;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.proto.common.v1.GetModelRequest;
import dev.ddpm.proto.common.v1.Image;
import dev.ddpm.proto.common.v1.ListModelsRequest;
import dev.ddpm.proto.common.v1.ListModelsResponse;
import dev.ddpm.proto.common.v1.ModelInfo;
import dev.ddpm.proto.common.v1.ModelRef;
import dev.ddpm.proto.common.v1.Preview;
import dev.ddpm.proto.common.v1.Progress;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleResult;
import dev.ddpm.proto.sampler.v1.SampleRequest;
import dev.ddpm.proto.sampler.v1.SamplerService;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.Priority;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.output.EncodedImage;
import dev.ddpm.sampler.output.ResultEncoder;
import dev.ddpm.sampler.registry.ModelRegistry;
import dev.ddpm.sampler.service.SamplingService;
import dev.ddpm.service.grpc.GrpcProblems;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.MultiEmitter;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The sampler's internal gRPC API (ddpm/sampler/v1/sampler.proto): Sample streams progress and
 * previews, then the result; cancelling the call frees its batch slots at the next step. Failures are
 * written by the shared {@link GrpcProblems}: the field at fault and the retry hint travel as trailers.
 */
@GrpcService
public class SamplerGrpcService implements SamplerService {

    private final SamplingService sampling;
    private final ModelRegistry registry;

    public SamplerGrpcService(SamplingService sampling, ModelRegistry registry) {
        this.sampling = sampling;
        this.registry = registry;
    }

    @Override
    @Blocking // a pinned version is loaded from S3 on first use
    public Multi<SampleEvent> sample(SampleRequest request) {
        return Multi.createFrom().emitter(emitter -> {
            try {
                SamplingRequest spec =
                        ProtoMapping.samplingRequest(request.getParams()).withDeadlineAtMost(CallDeadlines.remaining());
                SamplingJob job = sampling.start(
                        request.getRequestId(), spec, Priority.INTERACTIVE, new StreamingListener(emitter, spec));
                emitter.onTermination(job::cancel);
            } catch (RuntimeException e) {
                emitter.fail(GrpcProblems.status(e));
            }
        });
    }

    @Override
    @Blocking
    public Uni<ListModelsResponse> listModels(ListModelsRequest request) {
        ListModelsResponse.Builder response = ListModelsResponse.newBuilder();
        registry.current()
                .values()
                .forEach(m -> response.addModels(
                        withAliases(ProtoMapping.modelInfo(m.manifest(), List.of(), ModelInfo.newBuilder()), m)));
        return Uni.createFrom().item(response.build());
    }

    @Override
    @Blocking
    public Uni<ModelInfo> getModel(GetModelRequest request) {
        try (LoadedModel.Lease lease = registry.acquire(
                request.getModel().getName(), request.getModel().getVersion())) {
            return Uni.createFrom()
                    .item(ProtoMapping.modelInfo(
                                    lease.model().manifest(),
                                    registry.versions(request.getModel().getName()),
                                    ModelInfo.newBuilder())
                            .build());
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcProblems.status(e));
        }
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

    /** Turns the batcher's callbacks into stream messages. */
    private static final class StreamingListener implements JobListener {
        private final MultiEmitter<? super SampleEvent> emitter;
        private final SamplingRequest spec;

        StreamingListener(MultiEmitter<? super SampleEvent> emitter, SamplingRequest spec) {
            this.emitter = emitter;
            this.spec = spec;
        }

        @Override
        public void progress(int step, int totalSteps, double etaSeconds, int queuePosition) {
            emitter.emit(SampleEvent.newBuilder()
                    .setProgress(Progress.newBuilder()
                            .setStep(step)
                            .setTotalSteps(totalSteps)
                            .setEtaSeconds(Double.isFinite(etaSeconds) ? etaSeconds : 0)
                            .setQueuePosition(queuePosition))
                    .build());
        }

        @Override
        public void preview(ModelManifest.Image image, int step, int index, float[] predictedX0) {
            emitter.emit(SampleEvent.newBuilder()
                    .setPreview(Preview.newBuilder()
                            .setStep(step)
                            .setIndex(index)
                            .setPng(ByteString.copyFrom(
                                    ImageEncoding.png(predictedX0, image.channels(), image.width()))))
                    .build());
        }

        @Override
        /** Encodes on a worker thread: a large grid or GIF must not hold up the batch's next step. */
        public void completed(ModelManifest model, float[][] images, List<float[][]> frames, double seconds) {
            Infrastructure.getDefaultWorkerPool().execute(() -> {
                try {
                    SampleResult.Builder result = SampleResult.newBuilder()
                            .setModel(
                                    ModelRef.newBuilder().setName(model.name()).setVersion(model.version()))
                            .setSeconds(seconds);
                    for (EncodedImage file : ResultEncoder.encode(
                            spec.output(),
                            images,
                            frames,
                            model.image().channels(),
                            model.image().width())) {
                        result.addImages(Image.newBuilder()
                                .setIndex(file.index())
                                .setData(ByteString.copyFrom(file.data()))
                                .setMediaType(file.mediaType()));
                    }
                    emitter.emit(SampleEvent.newBuilder().setResult(result).build());
                    emitter.complete();
                } catch (RuntimeException e) {
                    emitter.fail(GrpcProblems.status(e));
                }
            });
        }

        @Override
        public void failed(RuntimeException error) {
            emitter.fail(GrpcProblems.status(error));
        }
    }
}
