package dev.ddpm.gateway.grpc;

import dev.ddpm.core.api.ProtoMapping;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.json.Require;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.client.SamplerClient;
import dev.ddpm.gateway.mapping.SamplerProblems;
import dev.ddpm.gateway.service.DatasetUploads;
import dev.ddpm.gateway.service.GatewayException;
import dev.ddpm.gateway.service.ModelCatalog;
import dev.ddpm.gateway.service.OpenStreams;
import dev.ddpm.gateway.service.SampleJobs;
import dev.ddpm.gateway.service.SamplingQuota;
import dev.ddpm.gateway.service.TrainingRequests;
import dev.ddpm.gateway.service.TrainingRuns;
import dev.ddpm.proto.common.v1.GetModelRequest;
import dev.ddpm.proto.common.v1.ListModelsRequest;
import dev.ddpm.proto.common.v1.ListModelsResponse;
import dev.ddpm.proto.common.v1.ModelInfo;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.proto.gateway.v1.Dataset;
import dev.ddpm.proto.gateway.v1.DatasetChunk;
import dev.ddpm.proto.gateway.v1.DdpmService;
import dev.ddpm.proto.gateway.v1.GetSampleJobRequest;
import dev.ddpm.proto.gateway.v1.GetTrainingRequest;
import dev.ddpm.proto.gateway.v1.ListDatasetsRequest;
import dev.ddpm.proto.gateway.v1.ListDatasetsResponse;
import dev.ddpm.proto.gateway.v1.SampleJob;
import dev.ddpm.proto.gateway.v1.StartTrainingRequest;
import dev.ddpm.proto.gateway.v1.TrainingRun;
import dev.ddpm.service.error.Problem;
import dev.ddpm.service.grpc.GrpcProblems;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import java.time.Instant;
import java.util.function.Supplier;

/**
 * The public gRPC API (ddpm/gateway/v1/gateway.proto), the twin of the HTTP API: the same services,
 * the same validation (INVALID_ARGUMENT, the field in trailer {@code field} and at the start of the
 * description), the same keys and scopes ({@link GrpcAuthInterceptor}). Every failure is written by
 * the shared {@link GrpcProblems}; a sampler's failure is first read back as the problem the HTTP API
 * gives for it.
 */
@GrpcService
public class DdpmGrpcService implements DdpmService {

    private final SamplerClient samplers;
    private final ModelCatalog catalog;
    private final SampleJobs jobs;
    private final TrainingRequests trainings;
    private final TrainingRuns runs;
    private final DatasetUploads datasets;
    private final SamplingQuota quota;
    private final OpenStreams streams;

    public DdpmGrpcService(
            SamplerClient samplers,
            ModelCatalog catalog,
            SampleJobs jobs,
            TrainingRequests trainings,
            TrainingRuns runs,
            DatasetUploads datasets,
            SamplingQuota quota,
            OpenStreams streams) {
        this.samplers = samplers;
        this.catalog = catalog;
        this.jobs = jobs;
        this.trainings = trainings;
        this.runs = runs;
        this.datasets = datasets;
        this.quota = quota;
        this.streams = streams;
    }

    @Override
    @Blocking // the quota may read the model's manifest from S3
    public Multi<SampleEvent> sample(SampleParams request) {
        try {
            SamplingRequest body = ProtoMapping.samplingRequest(request);
            quota.charge(GrpcAuthInterceptor.caller(), body);
            return samplers.sample(body, null).onFailure().transform(e -> GrpcProblems.status(SamplerProblems.of(e)));
        } catch (RuntimeException e) {
            return Multi.createFrom().failure(GrpcProblems.status(e));
        }
    }

    @Override
    @Blocking
    public Uni<SampleJob> submitSampleJob(SampleParams request) {
        return call(() ->
                job(jobs.status(jobs.submit(GrpcAuthInterceptor.caller(), ProtoMapping.samplingRequest(request)))));
    }

    @Override
    @Blocking
    public Uni<SampleJob> cancelSampleJob(GetSampleJobRequest request) {
        return call(() -> job(jobs.cancel(Require.safeName(request.getJobId(), "job_id"))));
    }

    @Override
    @Blocking
    public Uni<SampleJob> getSampleJob(GetSampleJobRequest request) {
        return call(() -> job(jobs.status(Require.safeName(request.getJobId(), "job_id"))));
    }

    @Override
    @Blocking
    public Uni<ListModelsResponse> listModels(ListModelsRequest request) {
        return call(() -> {
            ListModelsResponse.Builder response = ListModelsResponse.newBuilder();
            catalog.versions()
                    .forEach((name, versions) -> catalog.manifest(name, null)
                            .ifPresent(m ->
                                    response.addModels(ProtoMapping.modelInfo(m, versions, ModelInfo.newBuilder()))));
            return response.build();
        });
    }

    @Override
    @Blocking
    public Uni<ModelInfo> getModel(GetModelRequest request) {
        return call(() -> {
            String name = Require.safeName(request.getModel().getName(), "model.name");
            String version = blank(request.getModel().getVersion());
            if (version != null) {
                Require.safeName(version, "model.version");
            }
            return catalog.manifest(name, version)
                    .map(m -> ProtoMapping.modelInfo(m, catalog.versions(name), ModelInfo.newBuilder())
                            .build())
                    .orElseThrow(() -> new GatewayException(404, "unknown model", "no published model '" + name + "'"));
        });
    }

    @Override
    @Blocking
    public Uni<TrainingRun> startTraining(StartTrainingRequest r) {
        return call(() -> {
            Caller caller = GrpcAuthInterceptor.caller();
            TrainingRequest body = ProtoMapping.trainingRequest(r);
            String runId = trainings.start(body, caller.keyId());
            return run(runs.get(runId).orElseThrow());
        });
    }

    @Override
    @Blocking
    public Uni<TrainingRun> getTraining(GetTrainingRequest request) {
        return call(() -> runs.get(request.getRunId())
                .map(DdpmGrpcService::run)
                .orElseThrow(() -> new GatewayException(
                        404, "unknown training run", "no run '" + request.getRunId() + "' is known")));
    }

    @Override
    public Multi<TrainingRun> watchTraining(GetTrainingRequest request) {
        if (runs.get(request.getRunId()).isEmpty()) {
            return Multi.createFrom()
                    .failure(GrpcProblems.status(
                            Problem.of(404, "unknown training run", "no run '" + request.getRunId() + "' is known")));
        }
        Runnable close;
        try {
            close = streams.open(GrpcAuthInterceptor.caller());
        } catch (RuntimeException e) {
            return Multi.createFrom().failure(GrpcProblems.status(e));
        }
        return runs.watch(request.getRunId())
                .map(DdpmGrpcService::run)
                .onTermination()
                .invoke(close);
    }

    @Override
    public Uni<Dataset> uploadDataset(Multi<DatasetChunk> request) {
        Caller caller;
        try {
            caller = GrpcAuthInterceptor.caller(); // here: the worker that reads the chunks has no gRPC context
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(e);
        }
        return Uni.createFrom()
                .item(() -> {
                    ChunkStream upload = ChunkStream.open(request);
                    if (upload == null || upload.first().getName().isEmpty()) {
                        throw new GatewayException(
                                400, "invalid upload", "the first chunk must name the data set", "name");
                    }
                    DatasetUploads.Stored stored = datasets.upload(
                            upload.first().getName(), blank(upload.first().getFileName()), upload, caller.keyId());
                    return Dataset.newBuilder()
                            .setName(stored.dataset())
                            .setObjects(stored.objects())
                            .setBytes(stored.bytes())
                            .setUpdatedAt(ProtoMapping.timestamp(Instant.now()))
                            .build();
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onFailure()
                .transform(GrpcProblems::status);
    }

    @Override
    @Blocking
    public Uni<ListDatasetsResponse> listDatasets(ListDatasetsRequest request) {
        return call(() -> {
            ListDatasetsResponse.Builder response = ListDatasetsResponse.newBuilder();
            datasets.list()
                    .forEach(d -> response.addDatasets(Dataset.newBuilder()
                            .setName(d.name())
                            .setObjects(d.objects())
                            .setBytes(d.bytes())));
            return response.build();
        });
    }

    // ---- mapping -------------------------------------------------------------------------------

    private static SampleJob job(SampleJobs.Status s) {
        SampleJob.Builder job = SampleJob.newBuilder()
                .setJobId(s.jobId())
                .setState(
                        switch (s.state()) {
                            case QUEUED -> SampleJob.State.STATE_QUEUED;
                            case CANCELLING -> SampleJob.State.STATE_RUNNING;
                            case SUCCEEDED -> SampleJob.State.STATE_SUCCEEDED;
                            case FAILED -> SampleJob.State.STATE_FAILED;
                            case CANCELLED -> SampleJob.State.STATE_CANCELLED;
                        })
                .addAllResultUrls(s.results());
        if (s.error() != null) {
            job.setError(s.error());
        }
        return job.build();
    }

    private static TrainingRun run(TrainingRuns.Run r) {
        TrainingRun.Builder run = TrainingRun.newBuilder()
                .setRunId(r.runId())
                .setState(
                        switch (r.state()) {
                            case REQUESTED -> TrainingRun.State.STATE_REQUESTED;
                            case RUNNING -> TrainingRun.State.STATE_RUNNING;
                            case COMPLETED -> TrainingRun.State.STATE_COMPLETED;
                            case FAILED -> TrainingRun.State.STATE_FAILED;
                        })
                .setStep(r.step())
                .setTotalSteps(r.totalSteps())
                .setLoss(Double.isFinite(r.loss()) ? r.loss() : 0)
                .putAllQuality(r.quality())
                .setQualityStep(r.qualityStep())
                .setImagesPerSecond(r.imagesPerSecond())
                .setEtaSeconds(r.etaSeconds())
                .setUpdatedAt(ProtoMapping.timestamp(r.updatedAt()));
        if (r.modelVersion() != null) {
            run.setModelVersion(r.modelVersion());
        }
        if (r.error() != null) {
            run.setError(r.error());
        }
        return run.build();
    }

    private static String blank(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static <T> Uni<T> call(Supplier<T> action) {
        try {
            return Uni.createFrom().item(action.get());
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcProblems.status(e));
        }
    }
}
