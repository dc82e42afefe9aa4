package dev.ddpm.trainer.service;

import ai.djl.Device;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.storage.ArtifactStore;
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
import dev.ddpm.trainer.run.TrainingRun;
import dev.ddpm.trainer.train.DiffusionNetwork;
import dev.ddpm.trainer.train.DjlEngine;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/** Turns a TrainingRequested into a run: plan, data, device, and the run itself, reported on Kafka. */
@Singleton
public class TrainingService {

    private static final Logger LOG = Logger.getLogger(TrainingService.class);
    private static final Duration ANNOUNCE_TIMEOUT = Duration.ofSeconds(30);
    /** Who asks for runs without being an API key: a request by one of them gives its model no owner. */
    private static final Set<String> NOT_KEYS = Set.of(RetrainPolicy.REQUESTED_BY, "cli");

    private final TrainerConfig config;
    private final ArtifactStore store;
    private final TrainerEvents events;
    private final TrainingMetrics metrics;
    private volatile Device device;

    public TrainingService(TrainerConfig config, ArtifactStore store, TrainerEvents events, TrainingMetrics metrics) {
        this.config = config;
        this.store = store;
        this.events = events;
        this.metrics = metrics;
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

    /** Runs the request to its end (or until {@code stop}); failures are reported as TrainingFailed. */
    public void run(TrainingRequested request, BooleanSupplier stop) {
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
        RunListener listener = metrics.watching(new EventRunListener(events.trainingEvents(), plan));
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
            listener.failed(0, e.getMessage());
            return;
        }
        try {
            // Counted from here, after the data set is fetched: the limit is on training.
            new TrainingRun(
                            plan,
                            data,
                            device(),
                            store,
                            listener,
                            config.export().onCompletion() ? modelPublisher() : null)
                    .run(stop, request.request().maxMinutes());
        } catch (RuntimeException | Error e) {
            // TrainingRun has reported it as TrainingFailed; the consumer moves on to the next request.
        }
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
        ModelLifecycle lifecycle = new ModelLifecycle(
                store, event -> events.models().sendAndWait(event, ANNOUNCE_TIMEOUT), Clock.systemUTC());
        return new ModelPublisher(
                store,
                event -> events.models().sendAndWait(event, ANNOUNCE_TIMEOUT),
                lifecycle,
                event -> events.trainingEvents().sendAndWait(event, ANNOUNCE_TIMEOUT),
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
}
