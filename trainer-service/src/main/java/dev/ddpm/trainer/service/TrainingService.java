package dev.ddpm.trainer.service;

import ai.djl.Device;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.signing.ManifestSigner;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.core.storage.StorageUnavailableException;
import dev.ddpm.trainer.checkpoint.CheckpointManifest;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.checkpoint.RunFencedException;
import dev.ddpm.trainer.config.TrainerConfig;
import dev.ddpm.trainer.data.DatasetReader;
import dev.ddpm.trainer.data.InMemoryImageSet;
import dev.ddpm.trainer.export.ModelPublisher;
import dev.ddpm.trainer.export.PublishRights;
import dev.ddpm.trainer.messaging.outgoing.TrainerEvents;
import dev.ddpm.trainer.run.OutcomeRecord;
import dev.ddpm.trainer.run.RunAttempts;
import dev.ddpm.trainer.run.RunLease;
import dev.ddpm.trainer.run.RunListener;
import dev.ddpm.trainer.run.RunMemoryEstimate;
import dev.ddpm.trainer.run.RunOutcomes;
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
import java.util.function.BooleanSupplier;

/** Turns a TrainingRequested into a run: plan, data, device, and the run itself, reported on Kafka. */
@Singleton
public class TrainingService {

    private static final Logger LOG = Logger.getLogger(TrainingService.class);
    /** Who asks for runs without being an API key: a request by one of them gives its model no owner. */
    private final TrainerConfig config;

    private final ArtifactStore store;
    private final TrainerEvents events;
    private final TrainingMetrics metrics;
    private final RunCancellations cancellations;
    private final RunOutcomes outcomes;
    private final RunAttempts attempts;
    private final ManifestSigner signer;
    private volatile Device device;

    public TrainingService(
            TrainerConfig config,
            ArtifactStore store,
            TrainerEvents events,
            TrainingMetrics metrics,
            RunCancellations cancellations,
            ManifestSigner signer) {
        this.config = config;
        this.signer = signer;
        this.store = store;
        this.events = events;
        this.metrics = metrics;
        this.cancellations = cancellations;
        this.outcomes = new RunOutcomes(store);
        this.attempts = new RunAttempts(store, config.maxAttempts(), Clock.systemUTC());
    }

    /** Where a request stands after {@link #run}. */
    public enum Settlement {
        /** The run's end is stored and announced: the request may be acknowledged. */
        SETTLED,
        /** Not ended, or its end not stored or announced (paused, or an outage): try again later. */
        UNSETTLED,
        /** Another trainer holds the run's lease: its request is that trainer's to settle. */
        NOT_OURS;

        static Settlement of(boolean settled) {
            return settled ? SETTLED : UNSETTLED;
        }
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

    /**
     * Settles a request: runs it to its end (or until {@code stop}), or, for a run that ended before,
     * finishes what its earlier attempt left undone, without training. Failures are reported as
     * TrainingFailed. A run cancelled while it trains stops at its next step with a checkpoint, publishes
     * nothing and is reported as TrainingCancelled; one cancelled before it starts never trains.
     *
     * @return whether the request may be acknowledged ({@link Settlement#SETTLED}: the run's outcome is
     *     stored and its terminal event acknowledged by the broker), should be tried again (the run paused,
     *     or an outage kept its end from being stored or announced), or belongs to another trainer now
     */
    public Settlement run(TrainingRequested request, BooleanSupplier stop) {
        String runId = request.runId();
        EventRunListener report = new EventRunListener(
                events.trainingEvents(),
                runId,
                request.request().modelName(),
                request.request().dataset(),
                request.requestedBy(),
                outcomes,
                new TerminalEvents(event -> events.trainingEvents().sendAndWait(event)));
        RunListener watched = metrics.watching(report);
        Optional<OutcomeRecord> recorded;
        Optional<CheckpointManifest> ended;
        try {
            recorded = outcomes.find(runId);
            ended = recorded.isPresent()
                    ? Optional.empty()
                    : endedCheckpoint(runId, request.request().steps());
        } catch (StorageException | InvalidPayloadException e) {
            LOG.errorf("run %s: whether it has ended is unknown (%s); its request stays unacknowledged", runId, e);
            return Settlement.UNSETTLED;
        }
        if (recorded.isPresent()) {
            LOG.infof(
                    "run %s has ended already (%s): its event is sent again, nothing trains",
                    runId, recorded.get().state());
            return Settlement.of(report.announceAgain(recorded.get()));
        }
        if (ended.isPresent()) {
            finishEnded(request, ended.get(), watched);
            return Settlement.of(report.settled());
        }
        Optional<RunCancellations.Marker> cancelled = cancellations.find(runId);
        if (cancelled.isPresent()) {
            neverStarted(runId, cancelled.get(), watched);
            return Settlement.of(report.settled());
        }
        RunPlan plan;
        try {
            plan = plan(request);
            refuseWhatCannotFit(plan, request.request().preset());
        } catch (RuntimeException e) {
            LOG.warnf("run %s refused: %s", runId, e.getMessage());
            report.failed(0, "invalid request: " + e.getMessage());
            return Settlement.of(report.settled());
        }
        Optional<RunLease> lease;
        try {
            Optional<String> exhausted = attempts.start(runId);
            if (exhausted.isPresent()) {
                LOG.errorf("run %s fails: %s", runId, exhausted.get());
                watched.failed(newestStep(runId), exhausted.get());
                return Settlement.of(report.settled());
            }
            lease = RunLease.take(store, runId, RunLease.THIS_TRAINER, Clock.systemUTC());
        } catch (StorageException | InvalidPayloadException e) {
            LOG.errorf("run %s not started: %s; its request stays unacknowledged", runId, e.getMessage());
            return Settlement.UNSETTLED;
        }
        if (lease.isEmpty()) {
            LOG.infof("run %s: another trainer took it at the same moment; it runs there", runId);
            attempts.release(runId);
            return Settlement.NOT_OURS;
        }
        try {
            return attempt(request, plan, lease.get(), report, watched, stop);
        } finally {
            // This start did not end the process: it is not one of the starts the count is for.
            attempts.release(runId);
        }
    }

    /** One attempt at a run whose lease this trainer holds: data, then training from its newest checkpoint. */
    private Settlement attempt(
            TrainingRequested request,
            RunPlan plan,
            RunLease lease,
            EventRunListener report,
            RunListener watched,
            BooleanSupplier stop) {
        String runId = request.runId();
        RunOutcome outcome = new RunOutcome(watched);
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
        } catch (StorageUnavailableException e) {
            LOG.warnf("run %s: its data set could not be fetched while S3 is away (%s); tried again", runId, e);
            return Settlement.UNSETTLED;
        } catch (RuntimeException | Error e) {
            outcome.failed(0, e.getMessage());
            return Settlement.of(report.settled());
        }
        // Fetching the data set takes a while: the cancel may have come meanwhile, or the partition moved.
        Optional<RunCancellations.Marker> cancelled = cancellations.find(runId);
        if (cancelled.isPresent()) {
            neverStarted(runId, cancelled.get(), outcome);
            return Settlement.of(report.settled());
        }
        if (stop.getAsBoolean()) {
            LOG.infof("run %s paused after fetching its data set, before training", runId);
            return Settlement.UNSETTLED;
        }
        try {
            // Counted from here, after the data set is fetched: the limit is on training.
            new TrainingRun(
                            plan,
                            data,
                            device(),
                            store,
                            outcome,
                            config.export().onCompletion() ? modelPublisher() : null,
                            lease)
                    .run(
                            () -> stop.getAsBoolean() || cancellations.requested(runId),
                            request.request().maxMinutes());
        } catch (RunFencedException e) {
            return Settlement.NOT_OURS; // another trainer owns the run now; its request is that trainer's to settle
        } catch (StorageUnavailableException | MessagingException e) {
            return Settlement.UNSETTLED; // an outage, not the run's fault: it resumes from its checkpoint
        } catch (RuntimeException | Error e) {
            // TrainingRun has reported it as TrainingFailed; the consumer moves on to the next request.
            return Settlement.of(report.settled());
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
        return Settlement.of(report.settled());
    }

    /**
     * The run's newest checkpoint when it ended the run (its last step, or where its time limit ended it):
     * the run has trained, and only what comes after may be missing.
     */
    private Optional<CheckpointManifest> endedCheckpoint(String runId, long steps) {
        CheckpointManifest latest;
        try {
            latest = new CheckpointStore(store).latest(runId);
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        }
        return latest.ended() || latest.step() >= steps ? Optional.of(latest) : Optional.empty();
    }

    /**
     * Finishes a run whose final checkpoint is stored but whose end is not (the trainer stopped between
     * the two): publishes from that checkpoint unless a version was published from it already, then
     * reports it completed. Nothing trains; the version is a candidate, as the quality gate's probe is
     * built from the data set, which is not fetched for this.
     */
    private void finishEnded(TrainingRequested request, CheckpointManifest ended, RunListener listener) {
        String runId = request.runId();
        long step = ended.step();
        CheckpointStore checkpoints = new CheckpointStore(store);
        try {
            ObjectRef checkpoint = checkpoints.latestRef(runId);
            Optional<CheckpointStore.Published> published = checkpoints.published(runId, step);
            String version = published.map(CheckpointStore.Published::version).orElse(null);
            if (published.isEmpty() && config.export().onCompletion()) {
                PublishRights.require(store, request.request().modelName(), runId, owner(request.requestedBy()));
                try (DiffusionNetwork network = checkpoints.restore(runId, step, device())) {
                    version = modelPublisher()
                            .publish(
                                    network,
                                    null,
                                    new ModelPublisher.Request(
                                            request.request().modelName(),
                                            runId,
                                            true,
                                            Map.of(),
                                            owner(request.requestedBy())),
                                    null)
                            .version();
                }
            }
            LOG.infof(
                    "run %s ended at step %d in an earlier attempt: finished without training (version %s, %s)",
                    runId, step, version, published.isPresent() ? "published then" : "published now");
            listener.completed(step, Double.NaN, checkpoint, version);
        } catch (RuntimeException e) {
            LOG.errorf("run %s ended at step %d but could not be finished: %s", runId, step, e);
            listener.failed(step, "the run ended at step " + step + " but could not be finished: " + e.getMessage());
        }
    }

    /**
     * Refuses a run whose estimated memory exceeds what this trainer has, before any work: started, it
     * would be killed mid-step at every redelivery.
     */
    private void refuseWhatCannotFit(RunPlan plan, String preset) {
        UNetConfig arch = plan.settings().architecture();
        int batch = plan.settings().batchSize();
        RunMemoryEstimate needed = RunMemoryEstimate.of(arch, batch);
        long available = TrainerMemory.available(device(), config.memoryLimit().map(m -> m.asLongValue()));
        if (needed.bytes() > available) {
            throw new IllegalArgumentException("needs about " + RunMemoryEstimate.human(needed.bytes())
                    + " of memory (batch " + batch + " of " + arch.imageSize() + "x" + arch.imageSize()
                    + (preset == null ? " on its architecture" : " on preset " + preset) + "), the trainer has "
                    + RunMemoryEstimate.human(available) + "; lower batchSize");
        }
    }

    /** The step of the run's newest checkpoint; 0 when it has none. */
    private long newestStep(String runId) {
        try {
            return new CheckpointStore(store).latest(runId).step();
        } catch (StorageException | InvalidPayloadException e) {
            return 0;
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

    /**
     * The key id a run is for, which owns the model it publishes first: the key that asked for it (for
     * a retraining a data set change started, the data set's owner, which {@link RetrainPolicy} names);
     * null when no key did.
     */
    static String owner(String requestedBy) {
        return requestedBy == null || requestedBy.isBlank() || TrainingRequested.NOT_API_KEYS.contains(requestedBy)
                ? null
                : requestedBy;
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
                signer,
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
