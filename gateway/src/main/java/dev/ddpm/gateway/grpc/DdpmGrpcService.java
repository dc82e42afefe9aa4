package dev.ddpm.gateway.grpc;

import dev.ddpm.core.api.ProtoMapping;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.client.SamplerClient;
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
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import java.time.Instant;
import java.util.function.Supplier;

/**
 * The public gRPC API (ddpm/gateway/v1/gateway.proto), the twin of the HTTP API: the same services,
 * the same validation (INVALID_ARGUMENT whose description starts with the field), the same keys and
 * scopes ({@link GrpcAuthInterceptor}).
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

    public DdpmGrpcService(SamplerClient samplers, ModelCatalog catalog, SampleJobs jobs, TrainingRequests trainings,
                           TrainingRuns runs, DatasetUploads datasets, SamplingQuota quota, OpenStreams streams) {
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
            quota.charge(caller(), body);
            return samplers.sample(body, null);
        } catch (RuntimeException e) {
            return Multi.createFrom().failure(status(e));
        }
    }

    @Override
    @Blocking
    public Uni<SampleJob> submitSampleJob(SampleParams request) {
        Caller caller = caller();
        return call(() -> job(jobs.status(jobs.submit(caller, ProtoMapping.samplingRequest(request)))));
    }

    @Override
    @Blocking
    public Uni<SampleJob> cancelSampleJob(GetSampleJobRequest request) {
        return call(() -> job(jobs.cancel(Require.safeName(request.getJobId(), "job_id"))));
    }

    private static Caller caller() {
        Caller caller = GrpcAuthInterceptor.CALLER.get();
        return caller == null ? Caller.ANONYMOUS_ADMIN : caller;
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
            catalog.versions().forEach((name, versions) -> catalog.manifest(name, null)
                    .ifPresent(m -> response.addModels(ProtoMapping.modelInfo(m, versions, ModelInfo.newBuilder()))));
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
                    .map(m -> ProtoMapping.modelInfo(m, catalog.versions(name), ModelInfo.newBuilder()).build())
                    .orElseThrow(() -> new GatewayException(404, "unknown model", "no published model '" + name + "'"));
        });
    }

    @Override
    @Blocking
    public Uni<TrainingRun> startTraining(StartTrainingRequest r) {
        Caller caller = GrpcAuthInterceptor.CALLER.get();
        return call(() -> {
            TrainingRequest body = ProtoMapping.trainingRequest(r);
            String runId = trainings.start(body, caller == null ? null : caller.keyId());
            return run(runs.get(runId).orElseThrow());
        });
    }

    @Override
    @Blocking
    public Uni<TrainingRun> getTraining(GetTrainingRequest request) {
        return call(() -> runs.get(request.getRunId()).map(DdpmGrpcService::run).orElseThrow(() ->
                new GatewayException(404, "unknown training run", "no run '" + request.getRunId() + "' is known")));
    }

    @Override
    public Multi<TrainingRun> watchTraining(GetTrainingRequest request) {
        if (runs.get(request.getRunId()).isEmpty()) {
            return Multi.createFrom().failure(Status.NOT_FOUND.withDescription("no run '" + request.getRunId()
                    + "' is known").asRuntimeException());
        }
        Runnable close;
        try {
            close = streams.open(caller());
        } catch (RuntimeException e) {
            return Multi.createFrom().failure(status(e));
        }
        return runs.watch(request.getRunId()).map(DdpmGrpcService::run).onTermination().invoke(close);
    }

    @Override
    public Uni<Dataset> uploadDataset(Multi<DatasetChunk> request) {
        Caller caller = GrpcAuthInterceptor.CALLER.get();
        return Uni.createFrom().item(() -> {
                    ChunkStream upload = ChunkStream.open(request);
                    if (upload == null || upload.first().getName().isEmpty()) {
                        throw new GatewayException(400, "invalid upload", "the first chunk must name the data set", "name");
                    }
                    DatasetUploads.Stored stored = datasets.upload(upload.first().getName(),
                            blank(upload.first().getFileName()), upload, caller == null ? "unknown" : caller.keyId());
                    return Dataset.newBuilder().setName(stored.dataset()).setObjects(stored.objects())
                            .setBytes(stored.bytes()).setUpdatedAt(ProtoMapping.timestamp(Instant.now())).build();
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onFailure().transform(e -> e instanceof RuntimeException r ? status(r) : e);
    }

    @Override
    @Blocking
    public Uni<ListDatasetsResponse> listDatasets(ListDatasetsRequest request) {
        return call(() -> {
            ListDatasetsResponse.Builder response = ListDatasetsResponse.newBuilder();
            datasets.list().forEach(d -> response.addDatasets(Dataset.newBuilder().setName(d.name())
                    .setObjects(d.objects()).setBytes(d.bytes())));
            return response.build();
        });
    }

    // ---- mapping -------------------------------------------------------------------------------

    private static SampleJob job(SampleJobs.Status s) {
        SampleJob.Builder job = SampleJob.newBuilder().setJobId(s.jobId()).setState(switch (s.state()) {
            case "succeeded" -> SampleJob.State.STATE_SUCCEEDED;
            case "failed" -> SampleJob.State.STATE_FAILED;
            case "cancelled" -> SampleJob.State.STATE_CANCELLED;
            case "cancelling" -> SampleJob.State.STATE_RUNNING;
            default -> SampleJob.State.STATE_QUEUED;
        }).addAllResultUrls(s.results());
        if (s.error() != null) {
            job.setError(s.error());
        }
        return job.build();
    }

    private static TrainingRun run(TrainingRuns.Run r) {
        TrainingRun.Builder run = TrainingRun.newBuilder().setRunId(r.runId()).setState(switch (r.state()) {
                    case REQUESTED -> TrainingRun.State.STATE_REQUESTED;
                    case RUNNING -> TrainingRun.State.STATE_RUNNING;
                    case COMPLETED -> TrainingRun.State.STATE_COMPLETED;
                    case FAILED -> TrainingRun.State.STATE_FAILED;
                }).setStep(r.step()).setTotalSteps(r.totalSteps()).setLoss(Double.isFinite(r.loss()) ? r.loss() : 0)
                .putAllQuality(r.quality()).setQualityStep(r.qualityStep())
                .setImagesPerSecond(r.imagesPerSecond()).setEtaSeconds(r.etaSeconds()).setUpdatedAt(ProtoMapping.timestamp(r.updatedAt()));
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
            return Uni.createFrom().failure(status(e));
        }
    }

    /** The HTTP API's statuses as gRPC codes; descriptions start with the field when one is at fault. */
    static StatusRuntimeException status(RuntimeException e) {
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        if (e instanceof InvalidPayloadException invalid) {
            return Status.INVALID_ARGUMENT.withDescription((invalid.field() == null ? "" : invalid.field() + ": ")
                    + invalid.getMessage()).asRuntimeException();
        }
        if (e instanceof GatewayException g) {
            Status status = switch (g.status()) {
                case 400, 415 -> Status.INVALID_ARGUMENT;
                case 404 -> Status.NOT_FOUND;
                case 409 -> Status.FAILED_PRECONDITION;
                case 413, 429 -> Status.RESOURCE_EXHAUSTED;
                default -> Status.UNAVAILABLE;
            };
            Metadata trailers = new Metadata();
            if (g.retryAfterSeconds() > 0) {
                trailers.put(GrpcAuthInterceptor.RETRY_AFTER, Long.toString(g.retryAfterSeconds() * 1000));
            }
            return status.withDescription((g.field() == null ? "" : g.field() + ": ") + g.getMessage())
                    .asRuntimeException(trailers);
        }
        if (e instanceof StorageException || e instanceof MessagingException) {
            return Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException();
        }
        return Status.INTERNAL.withDescription(e.getClass().getSimpleName() + ": " + e.getMessage()).asRuntimeException();
    }
}
