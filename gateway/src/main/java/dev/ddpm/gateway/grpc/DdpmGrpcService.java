package dev.ddpm.gateway.grpc;

import dev.ddpm.core.api.ProtoMapping;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.ModelEvaluated;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.lifecycle.AliasChange;
import dev.ddpm.core.lifecycle.CanarySplit;
import dev.ddpm.core.lifecycle.ModelPolicy;
import dev.ddpm.core.lifecycle.ModelSharing;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.client.SamplerClient;
import dev.ddpm.gateway.mapping.SamplerProblems;
import dev.ddpm.gateway.service.DatasetUploads;
import dev.ddpm.gateway.service.GatewayException;
import dev.ddpm.gateway.service.ModelAccess;
import dev.ddpm.gateway.service.ModelCatalog;
import dev.ddpm.gateway.service.ModelOperations;
import dev.ddpm.gateway.service.OpenStreams;
import dev.ddpm.gateway.service.SampleJobs;
import dev.ddpm.gateway.service.SamplingQuota;
import dev.ddpm.gateway.service.TrainingAccess;
import dev.ddpm.gateway.service.TrainingQuota;
import dev.ddpm.gateway.service.TrainingRequests;
import dev.ddpm.gateway.service.TrainingRuns;
import dev.ddpm.gateway.service.TrainingUsage;
import dev.ddpm.gateway.service.UploadSlots;
import dev.ddpm.proto.common.v1.GetModelRequest;
import dev.ddpm.proto.common.v1.ListModelsRequest;
import dev.ddpm.proto.common.v1.ListModelsResponse;
import dev.ddpm.proto.common.v1.ModelInfo;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.proto.gateway.v1.Dataset;
import dev.ddpm.proto.gateway.v1.DatasetChunk;
import dev.ddpm.proto.gateway.v1.DdpmService;
import dev.ddpm.proto.gateway.v1.DeleteDatasetRequest;
import dev.ddpm.proto.gateway.v1.DeleteDatasetResponse;
import dev.ddpm.proto.gateway.v1.DeleteModelVersionRequest;
import dev.ddpm.proto.gateway.v1.Evaluation;
import dev.ddpm.proto.gateway.v1.GetModelAliasesRequest;
import dev.ddpm.proto.gateway.v1.GetSampleJobRequest;
import dev.ddpm.proto.gateway.v1.GetTrainingQuotaRequest;
import dev.ddpm.proto.gateway.v1.GetTrainingRequest;
import dev.ddpm.proto.gateway.v1.ListDatasetsRequest;
import dev.ddpm.proto.gateway.v1.ListDatasetsResponse;
import dev.ddpm.proto.gateway.v1.ModelAliases;
import dev.ddpm.proto.gateway.v1.PromoteModelRequest;
import dev.ddpm.proto.gateway.v1.Promotion;
import dev.ddpm.proto.gateway.v1.QuotaFigure;
import dev.ddpm.proto.gateway.v1.Retrain;
import dev.ddpm.proto.gateway.v1.RollbackModelRequest;
import dev.ddpm.proto.gateway.v1.SampleJob;
import dev.ddpm.proto.gateway.v1.SetCanaryRequest;
import dev.ddpm.proto.gateway.v1.SetModelPolicyRequest;
import dev.ddpm.proto.gateway.v1.SetModelSharingRequest;
import dev.ddpm.proto.gateway.v1.StartTrainingRequest;
import dev.ddpm.proto.gateway.v1.TrainingRun;
import dev.ddpm.service.grpc.GrpcProblems;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
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
    private final ModelOperations models;
    private final UploadSlots uploadSlots;
    private final TrainingQuota trainingQuota;
    private final ModelAccess access;
    private final TrainingAccess trainingAccess;

    public DdpmGrpcService(
            SamplerClient samplers,
            ModelCatalog catalog,
            SampleJobs jobs,
            TrainingRequests trainings,
            TrainingRuns runs,
            DatasetUploads datasets,
            SamplingQuota quota,
            OpenStreams streams,
            ModelOperations models,
            UploadSlots uploadSlots,
            TrainingQuota trainingQuota,
            ModelAccess access,
            TrainingAccess trainingAccess) {
        this.samplers = samplers;
        this.catalog = catalog;
        this.jobs = jobs;
        this.trainings = trainings;
        this.runs = runs;
        this.datasets = datasets;
        this.quota = quota;
        this.streams = streams;
        this.models = models;
        this.uploadSlots = uploadSlots;
        this.trainingQuota = trainingQuota;
        this.access = access;
        this.trainingAccess = trainingAccess;
    }

    @Override
    @Blocking // the quota may read the model's manifest from S3
    public Multi<SampleEvent> sample(SampleParams request) {
        try {
            SamplingRequest body = ProtoMapping.samplingRequest(request);
            Caller caller = GrpcAuthInterceptor.caller();
            long charged = quota.charge(caller, body);
            SamplingQuota.Settlement settlement = quota.settlement(caller, charged);
            return settlement
                    .of(samplers.sample(caller, body, settlement::arrived))
                    .onFailure()
                    .transform(e -> GrpcProblems.status(SamplerProblems.of(e)));
        } catch (RuntimeException e) {
            return Multi.createFrom().failure(GrpcProblems.status(e));
        }
    }

    @Override
    @Blocking
    public Uni<SampleJob> submitSampleJob(SampleParams request) {
        return call(() -> {
            Caller caller = GrpcAuthInterceptor.caller();
            String jobId = jobs.submit(
                            caller, ProtoMapping.samplingRequest(request), GrpcAuthInterceptor.idempotencyKey())
                    .id();
            return job(jobs.status(jobId, caller));
        });
    }

    @Override
    @Blocking
    public Uni<SampleJob> cancelSampleJob(GetSampleJobRequest request) {
        return call(
                () -> job(jobs.cancel(Require.safeName(request.getJobId(), "job_id"), GrpcAuthInterceptor.caller())));
    }

    @Override
    @Blocking
    public Uni<SampleJob> getSampleJob(GetSampleJobRequest request) {
        return call(
                () -> job(jobs.status(Require.safeName(request.getJobId(), "job_id"), GrpcAuthInterceptor.caller())));
    }

    @Override
    @Blocking
    public Uni<ListModelsResponse> listModels(ListModelsRequest request) {
        return call(() -> {
            Caller caller = GrpcAuthInterceptor.caller();
            ListModelsResponse.Builder response = ListModelsResponse.newBuilder();
            catalog.versions()
                    .forEach((name, versions) -> access.find(name)
                            .filter(known -> ModelAccess.sees(caller, known))
                            .ifPresent(known -> catalog.manifest(name, null)
                                    .ifPresent(m -> response.addModels(withAliases(
                                                    ProtoMapping.modelInfo(m, versions, ModelInfo.newBuilder()), name)
                                            .setShared(ModelAccess.sharedWith(caller, known))))));
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
            access.requireVisible(GrpcAuthInterceptor.caller(), name);
            return catalog.manifest(name, version)
                    .map(m -> withAliases(
                                    ProtoMapping.modelInfo(m, catalog.versions(name), ModelInfo.newBuilder()), name)
                            .build())
                    .orElseThrow(() -> new GatewayException(404, "unknown model", "no published model '" + name + "'"));
        });
    }

    /** The model's aliases and canary as its alias document names them (none: the newest version as production). */
    private ModelInfo.Builder withAliases(ModelInfo.Builder info, String name) {
        Optional<dev.ddpm.core.lifecycle.ModelAliases> aliases = catalog.aliases(name);
        String production = catalog.production(name, catalog.versions(name)).orElse(null);
        return ProtoMapping.modelAliases(
                aliases.map(dev.ddpm.core.lifecycle.ModelAliases::aliases)
                        .orElse(
                                production == null
                                        ? Map.of()
                                        : Map.of(dev.ddpm.core.lifecycle.ModelAliases.PRODUCTION, production)),
                aliases.map(dev.ddpm.core.lifecycle.ModelAliases::canary).orElse(null),
                info);
    }

    @Override
    @Blocking
    public Uni<TrainingRun> startTraining(StartTrainingRequest r) {
        return call(() -> {
            Caller caller = GrpcAuthInterceptor.caller();
            TrainingRequest body = ProtoMapping.trainingRequest(r);
            trainingAccess.admit(caller, body);
            String runId = trainings
                    .start(body, caller.keyId(), GrpcAuthInterceptor.idempotencyKey())
                    .id();
            return run(runs.get(runId).orElseThrow());
        });
    }

    @Override
    @Blocking
    public Uni<TrainingRun> getTraining(GetTrainingRequest request) {
        return call(() -> runs.get(request.getRunId(), GrpcAuthInterceptor.caller())
                .map(DdpmGrpcService::run)
                .orElseThrow(() -> TrainingRuns.unknown(request.getRunId())));
    }

    @Override
    public Multi<TrainingRun> watchTraining(GetTrainingRequest request) {
        Runnable close;
        try {
            if (runs.get(request.getRunId(), GrpcAuthInterceptor.caller()).isEmpty()) {
                throw TrainingRuns.unknown(request.getRunId());
            }
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
    @Blocking
    public Uni<TrainingRun> cancelTraining(GetTrainingRequest request) {
        return call(() -> {
            String runId = Require.safeName(request.getRunId(), "run_id");
            trainings.cancel(runId, GrpcAuthInterceptor.caller());
            return run(runs.get(runId).orElseThrow());
        });
    }

    @Override
    @Blocking
    public Uni<dev.ddpm.proto.gateway.v1.TrainingQuota> getTrainingQuota(GetTrainingQuotaRequest request) {
        return call(() -> {
            String keyId = GrpcAuthInterceptor.caller().keyId();
            TrainingQuota.Limits limits = trainingQuota.limits(keyId);
            TrainingUsage usage = trainingQuota.usage(keyId);
            return dev.ddpm.proto.gateway.v1.TrainingQuota.newBuilder()
                    .setKeyId(keyId)
                    .setConcurrentRuns(figure(limits.concurrentRuns(), usage.running()))
                    .setQueuedRuns(figure(limits.queuedRuns(), usage.queued()))
                    .setTrainingMinutes(figure(limits.minutesPerDay(), usage.minutesUsed()))
                    .setMinutesRun(usage.minutesRun())
                    .setMinutesCommitted(usage.minutesCommitted())
                    .setMaxUnboxedImages(limits.maxUnboxedImages())
                    .build();
        });
    }

    private static QuotaFigure figure(double limit, double used) {
        return QuotaFigure.newBuilder().setLimit(limit).setUsed(used).build();
    }

    // ---- model lifecycle: the same operations and checks as the HTTP API (ModelOperations) ----

    @Override
    @Blocking
    public Uni<ModelAliases> getModelAliases(GetModelAliasesRequest request) {
        return call(() -> {
            Caller caller = GrpcAuthInterceptor.caller();
            dev.ddpm.core.lifecycle.ModelAliases read =
                    models.aliases(caller, Require.safeName(request.getModel(), "model"));
            return aliases(read, ModelAccess.isAdmin(caller) || read.ownedBy(caller.keyId()));
        });
    }

    @Override
    @Blocking
    public Uni<ModelAliases> promoteModel(PromoteModelRequest request) {
        return call(() -> aliases(models.promote(
                GrpcAuthInterceptor.caller(),
                Require.safeName(request.getModel(), "model"),
                Require.safeName(request.getVersion(), "version"),
                blank(request.getReason()))));
    }

    @Override
    @Blocking
    public Uni<ModelAliases> rollbackModel(RollbackModelRequest request) {
        return call(() -> aliases(models.rollback(
                GrpcAuthInterceptor.caller(),
                Require.safeName(request.getModel(), "model"),
                blank(request.getReason()))));
    }

    @Override
    @Blocking
    public Uni<ModelAliases> setCanary(SetCanaryRequest request) {
        return call(() -> {
            String model = Require.safeName(request.getModel(), "model");
            CanarySplit split =
                    request.getPercent() == 0 && request.getVersion().isEmpty()
                            ? null
                            : new CanarySplit(request.getVersion(), request.getPercent());
            return aliases(models.canary(GrpcAuthInterceptor.caller(), model, split));
        });
    }

    @Override
    @Blocking
    public Uni<ModelAliases> setModelPolicy(SetModelPolicyRequest request) {
        return call(() -> {
            ModelPolicy.Promotion promotion = switch (request.getPromotion()) {
                case PROMOTION_AUTO -> ModelPolicy.Promotion.AUTO;
                case PROMOTION_MANUAL -> ModelPolicy.Promotion.MANUAL;
                default -> null;
            };
            ModelPolicy.Retrain retrain = switch (request.getRetrain()) {
                case RETRAIN_OFF -> ModelPolicy.Retrain.OFF;
                case RETRAIN_FINE_TUNE -> ModelPolicy.Retrain.FINE_TUNE;
                case RETRAIN_SCRATCH -> ModelPolicy.Retrain.SCRATCH;
                default -> null;
            };
            ModelOperations.PolicyChange change = new ModelOperations.PolicyChange(
                    promotion, request.hasMargin() ? request.getMargin() : null, retrain);
            return aliases(
                    models.policy(GrpcAuthInterceptor.caller(), Require.safeName(request.getModel(), "model"), change));
        });
    }

    @Override
    @Blocking
    public Uni<ModelAliases> deleteModelVersion(DeleteModelVersionRequest request) {
        return call(() -> aliases(models.deleteVersion(
                GrpcAuthInterceptor.caller(),
                Require.safeName(request.getModel(), "model"),
                Require.safeName(request.getVersion(), "version"))));
    }

    @Override
    @Blocking
    public Uni<ModelAliases> setModelSharing(SetModelSharingRequest request) {
        return call(() -> aliases(models.share(
                GrpcAuthInterceptor.caller(),
                Require.safeName(request.getModel(), "model"),
                new ModelSharing(request.getPublic(), request.getKeysList()))));
    }

    @Override
    @Blocking
    public Uni<DeleteDatasetResponse> deleteDataset(DeleteDatasetRequest request) {
        return call(() -> {
            String name = Require.safeName(request.getName(), "name");
            long removed = datasets.delete(name, GrpcAuthInterceptor.caller());
            return DeleteDatasetResponse.newBuilder()
                    .setName(name)
                    .setDeletedObjects(removed)
                    .build();
        });
    }

    /** Admitted or refused (RESOURCE_EXHAUSTED) at once, then read on the uploads' own threads ({@link UploadSlots}). */
    @Override
    public Uni<Dataset> uploadDataset(Multi<DatasetChunk> request) {
        Caller caller;
        UploadSlots.Slot slot;
        try {
            caller = GrpcAuthInterceptor.caller(); // here: the thread that reads the chunks has no gRPC context
            slot = uploadSlots.admit(caller.keyId());
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcProblems.status(e));
        }
        AtomicBoolean started = new AtomicBoolean();
        return Uni.createFrom()
                .item(() -> {
                    started.set(true);
                    // The slot is released by the thread that holds it, when its work has ended (not
                    // when the call is cancelled, which leaves that thread reading for a while).
                    try (slot) {
                        ChunkStream upload = ChunkStream.open(request, datasets::awaitFirstPart);
                        if (upload == null || upload.first().getName().isEmpty()) {
                            throw new GatewayException(
                                    400, "invalid upload", "the first chunk must name the data set", "name");
                        }
                        DatasetUploads.Stored stored = datasets.upload(
                                upload.first().getName(), blank(upload.first().getFileName()), upload, caller);
                        return Dataset.newBuilder()
                                .setName(stored.dataset())
                                .setObjects(stored.objects())
                                .setBytes(stored.bytes())
                                .setUpdatedAt(ProtoMapping.timestamp(Instant.now()))
                                .build();
                    }
                })
                .runSubscriptionOn(slot.executor())
                .onTermination()
                .invoke(() -> {
                    if (!started.get()) {
                        slot.close(); // ended before its work began: nobody else releases it
                    }
                })
                .onFailure()
                .transform(GrpcProblems::status);
    }

    @Override
    @Blocking
    public Uni<ListDatasetsResponse> listDatasets(ListDatasetsRequest request) {
        return call(() -> {
            ListDatasetsResponse.Builder response = ListDatasetsResponse.newBuilder();
            datasets.list(GrpcAuthInterceptor.caller())
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
                            case CANCELLED -> TrainingRun.State.STATE_CANCELLED;
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
        if (r.requestedBy() != null) {
            run.setRequestedBy(r.requestedBy());
        }
        if (r.modelName() != null) {
            run.setModelName(r.modelName());
        }
        if (r.dataset() != null) {
            run.setDataset(r.dataset());
        }
        if (r.evaluated() != null) {
            run.setEvaluation(evaluation(r.evaluated()));
        }
        return run.build();
    }

    private static Evaluation evaluation(ModelEvaluated e) {
        Evaluation.Builder evaluation = Evaluation.newBuilder()
                .setVersion(e.version())
                .setPassed(e.evaluation().passed())
                .setPromoted(e.promoted())
                .setReason(e.evaluation().reason())
                .setMargin(e.evaluation().margin())
                .putAllCandidateMetrics(e.evaluation().candidateMetrics())
                .putAllProductionMetrics(e.evaluation().productionMetrics());
        if (e.evaluation().production() != null) {
            evaluation.setProduction(e.evaluation().production());
        }
        if (e.outcome() != null) {
            evaluation.setOutcome(e.outcome());
        }
        return evaluation.build();
    }

    /** The aliases after a change: only their owner or an admin gets this far, and sees the sharing. */
    private static ModelAliases aliases(dev.ddpm.core.lifecycle.ModelAliases a) {
        return aliases(a, true);
    }

    /** @param showSharing whether the caller may see whom the model is shared with (may change it) */
    private static ModelAliases aliases(dev.ddpm.core.lifecycle.ModelAliases a, boolean showSharing) {
        ModelAliases.Builder aliases = ModelAliases.newBuilder()
                .setModel(a.model())
                .setRevision(a.revision())
                .putAllAliases(a.aliases())
                .setPromotion(
                        a.policy().promotion() == ModelPolicy.Promotion.MANUAL
                                ? Promotion.PROMOTION_MANUAL
                                : Promotion.PROMOTION_AUTO)
                .setMargin(a.policy().margin())
                .setRetrain(
                        a.policy().retrain() == null
                                ? Retrain.RETRAIN_UNSPECIFIED
                                : switch (a.policy().retrain()) {
                                    case OFF -> Retrain.RETRAIN_OFF;
                                    case FINE_TUNE -> Retrain.RETRAIN_FINE_TUNE;
                                    case SCRATCH -> Retrain.RETRAIN_SCRATCH;
                                })
                .setUpdatedAt(ProtoMapping.timestamp(a.updatedAt()));
        if (a.canary() != null) {
            aliases.setCanaryVersion(a.canary().version())
                    .setCanaryPercent(a.canary().percent());
        }
        if (a.owner() != null) {
            aliases.setOwner(a.owner());
        }
        if (showSharing) {
            aliases.setPublic(a.sharing().open()).addAllSharedWith(a.sharing().keys());
        }
        for (AliasChange c : a.history()) {
            dev.ddpm.proto.gateway.v1.AliasChange.Builder change = dev.ddpm.proto.gateway.v1.AliasChange.newBuilder()
                    .setRevision(c.revision())
                    .setAt(ProtoMapping.timestamp(c.at()))
                    .setAlias(c.alias())
                    .setAction(c.action().name().toLowerCase(Locale.ROOT).replace('_', '-'))
                    .setActor(c.actor());
            if (c.version() != null) {
                change.setVersion(c.version());
            }
            if (c.previous() != null) {
                change.setPrevious(c.previous());
            }
            if (c.reason() != null) {
                change.setReason(c.reason());
            }
            aliases.addHistory(change);
        }
        return aliases.build();
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
