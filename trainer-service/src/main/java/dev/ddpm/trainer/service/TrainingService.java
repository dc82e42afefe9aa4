package dev.ddpm.trainer.service;

import ai.djl.Device;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.trainer.checkpoint.CheckpointManifest;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.config.TrainerConfig;
import dev.ddpm.trainer.data.DatasetReader;
import dev.ddpm.trainer.data.InMemoryImageSet;
import dev.ddpm.trainer.export.ModelPublisher;
import dev.ddpm.trainer.messaging.outgoing.TrainerEvents;
import dev.ddpm.trainer.run.RunListener;
import dev.ddpm.trainer.run.RunPlan;
import dev.ddpm.trainer.run.RunProgress;
import dev.ddpm.trainer.run.TrainingRun;
import dev.ddpm.trainer.train.DiffusionNetwork;
import dev.ddpm.trainer.train.DjlEngine;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/** Turns a TrainingRequested into a run: plan, data, device, and the run itself, reported on Kafka. */
@Singleton
public class TrainingService {

    private static final Logger LOG = Logger.getLogger(TrainingService.class);
    /** Who asks for runs without being an API key: a request by one of them gives its model no owner. */
    private static final Set<String> NOT_KEYS = Set.of(RetrainPolicy.REQUESTED_BY, "cli");

    private final TrainerConfig config;
    private final ArtifactStore store;
    private final TrainerEvents events;
    private final TrainingMetrics metrics;
    private final RunCancellations cancellations;
    private volatile Device device;

    public TrainingService(
            TrainerConfig config,
            ArtifactStore store,
            TrainerEvents events,
            TrainingMetrics metrics,
            RunCancellations cancellations) {
        this.config = config;
        this.store = store;
        this.events = events;
        this.metrics = metrics;
        this.cancellations = cancellations;
    }

    /** The run described by a request; invalid settings fail here, before any work. */
    public RunPlan plan(TrainingRequested request) {
        return RunPlan.of(
                request.runId(),
                request.request(),
                owner(request.requestedBy()),
                new RunPlan.Reporting(
                        config.progressEvery(),
                        config.gridEvery(),
                        config.export().everyCheckpoints(),
                        config.qualitySamples()));
    }

    /** Whether the run has ended: its newest checkpoint is its last step, or where its time limit ended it. */
    public boolean ended(String runId, long steps) {
        try {
            CheckpointManifest latest = new CheckpointStore(store).latest(runId);
            return latest.ended() || latest.step() >= steps;
        } catch (StorageException | InvalidPayloadException e) {
            return false;
        }
    }

    /**
     * Runs the request to its end (or until {@code stop}); failures are reported as TrainingFailed. A
     * run cancelled while it trains stops at its next step with a checkpoint, publishes nothing and is
     * reported as TrainingCancelled; one cancelled before it starts never trains.
     */
    public void run(TrainingRequested request, BooleanSupplier stop) {
        Optional<RunCancellations.Marker> cancelled = cancellations.find(request.runId());
        if (cancelled.isPresent()) {
            neverStarted(
                    request.runId(),
                    cancelled.get(),
                    metrics.watching(new EventRunListener(
                            events.trainingEvents(),
                            request.runId(),
                            request.request().modelName(),
                            request.request().dataset())));
            return;
        }
        RunPlan plan;
        try {
            plan = plan(request);
        } catch (RuntimeException e) {
            LOG.warnf("run %s refused: %s", request.runId(), e.getMessage());
            new EventRunListener(
                            events.trainingEvents(),
                            request.runId(),
                            request.request().modelName(),
                            request.request().dataset())
                    .failed(0, "invalid request: " + e.getMessage());
            return;
        }
        RunOutcome outcome = new RunOutcome(metrics.watching(new EventRunListener(events.trainingEvents(), plan)));
        InMemoryImageSet data;
        try {
            UNetConfig arch = plan.settings().architecture();
            data = new DatasetFetcher(store, workDir(), limits())
                    .fetch(plan.dataset(), arch.imageChannels(), arch.imageSize());
            if (!data.skipped().isEmpty()) {
                LOG.warnf(
                        "run %s: %d unreadable images skipped in %s, e.g. %s",
                        plan.runId(),
                        data.skipped().size(),
                        plan.dataset(),
                        data.skipped().get(0));
            }
        } catch (RuntimeException | Error e) {
            outcome.failed(0, e.getMessage());
            return;
        }
        String runId = plan.runId();
        // Fetching the data set takes a while: the cancel may have come meanwhile.
        cancelled = cancellations.find(runId);
        if (cancelled.isPresent()) {
            neverStarted(runId, cancelled.get(), outcome);
            return;
        }
        try {
            // Counted from here, after the data set is fetched: the limit is on training.
            new TrainingRun(
                            plan,
                            data,
                            device(),
                            store,
                            outcome,
                            config.export().onCompletion() ? modelPublisher() : null)
                    .run(
                            () -> stop.getAsBoolean() || cancellations.requested(runId),
                            request.request().maxMinutes());
        } catch (RuntimeException | Error e) {
            // TrainingRun has reported it as TrainingFailed; the consumer moves on to the next request.
            return;
        }
        // Stopped, not ended: by its cancel, unless it only paused for another owner. A cancel that came
        // during the last step is too late: the run completed.
        if (!outcome.completed && cancellations.requested(runId)) {
            LOG.infof(
                    "run %s cancelled: stopped at step %d, its checkpoints kept, nothing published",
                    runId, outcome.checkpointStep);
            outcome.cancelled(
                    outcome.checkpointStep,
                    cancellations
                            .find(runId)
                            .map(RunCancellations.Marker::requestedBy)
                            .orElse(null));
        }
    }

    /**
     * Reports a run cancelled before this attempt as TrainingCancelled, at the step of its newest
     * checkpoint: 0 for one that never trained, more for one cancelled while it waited to be resumed.
     */
    private void neverStarted(String runId, RunCancellations.Marker cancel, RunListener listener) {
        long step;
        try {
            step = new CheckpointStore(store).latest(runId).step();
        } catch (StorageException | InvalidPayloadException e) {
            step = 0; // no checkpoint: it never trained
        }
        LOG.infof("run %s was cancelled before it started: it does not train", runId);
        listener.cancelled(step, cancel.requestedBy());
    }

    /**
     * Publishes the newest checkpoint of a run as a new version of {@code modelName} (EMA weights
     * unless {@code ema} is false). One export at a time: each holds a copy of the network.
     */
    public synchronized ModelManifest export(String runId, String modelName, boolean ema) {
        try (DiffusionNetwork network = new CheckpointStore(store).restore(runId, device())) {
            return modelPublisher().publish(network, new ModelPublisher.Request(modelName, runId, ema, Map.of()));
        }
    }

    /** The key id that asked for a run, which owns the model it publishes first; null when no key asked. */
    static String owner(String requestedBy) {
        return requestedBy == null || requestedBy.isBlank() || NOT_KEYS.contains(requestedBy) ? null : requestedBy;
    }

    /**
     * Publishes versions as candidates of their model's aliases (announced on {@code ddpm.models}), and
     * the quality gate's verdicts on {@code ddpm.training-events}.
     */
    private ModelPublisher modelPublisher() {
        ModelLifecycle lifecycle =
                new ModelLifecycle(store, event -> events.models().sendAndWait(event), Clock.systemUTC());
        return new ModelPublisher(
                store,
                event -> events.models().sendAndWait(event),
                lifecycle,
                event -> events.trainingEvents().sendAndWait(event),
                Clock.systemUTC());
    }

    private Device device() {
        if (device == null) {
            synchronized (this) {
                if (device == null) {
                    DjlEngine.configureOffline(config.threads());
                    device = DjlEngine.select(config.device(), config.gpus());
                }
            }
        }
        return device;
    }

    private DatasetReader.Limits limits() {
        TrainerConfig.Dataset d = config.dataset();
        return new DatasetReader.Limits(d.maxDecompressedBytes(), d.maxImages(), d.maxPixels());
    }

    private Path workDir() {
        return config.workDir().orElseGet(() -> Path.of(System.getProperty("java.io.tmpdir"), "ddpm-trainer"));
    }

    /** Passes a run's reports on, noting the step of its newest checkpoint and whether it completed. */
    private static final class RunOutcome implements RunListener {

        private final RunListener listener;
        private long checkpointStep;
        private boolean completed;

        RunOutcome(RunListener listener) {
            this.listener = listener;
        }

        @Override
        public void started(long parameterCount, String device, long startStep, long totalSteps) {
            checkpointStep = startStep;
            listener.started(parameterCount, device, startStep, totalSteps);
        }

        @Override
        public void progress(RunProgress progress) {
            listener.progress(progress);
        }

        @Override
        public void checkpointSaved(long step, ObjectRef checkpoint) {
            checkpointStep = step;
            listener.checkpointSaved(step, checkpoint);
        }

        @Override
        public void completed(long step, double loss, ObjectRef checkpoint, String modelVersion) {
            completed = true;
            listener.completed(step, loss, checkpoint, modelVersion);
        }

        @Override
        public void failed(long step, String reason) {
            listener.failed(step, reason);
        }

        @Override
        public void cancelled(long step, String requestedBy) {
            listener.cancelled(step, requestedBy);
        }
    }
}
