package dev.ddpm.trainer.service;

import dev.ddpm.core.api.RunIds;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.config.RetrainConfig;
import dev.ddpm.trainer.messaging.outgoing.TrainerEvents;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Turns data set changes into training requests, per {@code trainer.retrain.policy}: each change
 * (re)starts a quiet-time timer for its data set, and only when it expires is one TrainingRequested
 * published, so a burst of uploads trains once. The model takes the data set's name; each
 * published run is remembered under {@code ddpm-checkpoints/_models/{model}.json} for fine-tuning.
 */
@Singleton
public class RetrainPolicy {

    private static final Logger LOG = Logger.getLogger(RetrainPolicy.class);

    private final RetrainConfig config;
    private final TrainerEvents events;
    private final ArtifactStore store;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "ddpm-retrain-debounce");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<String, ScheduledFuture<?>> pending = new ConcurrentHashMap<>();

    public RetrainPolicy(RetrainConfig config, TrainerEvents events, ArtifactStore store) {
        this.config = config;
        this.events = events;
        this.store = store;
    }

    public boolean enabled() {
        return config.policy() != RetrainConfig.Policy.OFF;
    }

    /** A change to {@code dataset}: (re)start its quiet-time timer. */
    public void datasetChanged(String dataset) {
        if (!enabled()) {
            return;
        }
        pending.compute(dataset, (name, previous) -> {
            if (previous != null) {
                previous.cancel(false);
            }
            return timers.schedule(() -> fire(name), config.debounce().toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    void onStop(@Observes ShutdownEvent event) {
        timers.shutdownNow();
    }

    private void fire(String dataset) {
        pending.remove(dataset);
        try {
            String model = dataset;
            TrainingRequest.Builder training = TrainingRequest.builder()
                    .dataset(dataset)
                    .modelName(model)
                    .preset(config.preset())
                    .steps(config.steps())
                    .batchSize(config.batchSize())
                    .learningRate(config.learningRate())
                    .seed(config.seed())
                    .checkpointEvery(config.checkpointEvery())
                    .learningRateDecay(config.learningRateDecay())
                    .snrGamma(config.snrGamma())
                    .maxMinutes(config.maxMinutes())
                    .keepCheckpoints(config.keepCheckpoints());
            if (config.policy() == RetrainConfig.Policy.FINE_TUNE) {
                var previous = lastRun(model);
                if (previous != null) {
                    training.resumeFrom(previous.runId()).steps(config.steps() + previous.step());
                }
            }
            String runId = RunIds.next(model);
            TrainingRequested request = new TrainingRequested(runId, training.build(), "dataset-update");
            events.trainingRequests().sendAndWait(request, Duration.ofSeconds(30));
            store.putJson(Buckets.CHECKPOINTS, lastRunKey(model), new LastRun(runId));
            LOG.infof(
                    "data set %s changed: requested run %s (%s%s)",
                    dataset,
                    runId,
                    config.policy(),
                    request.request().resumeFrom() == null
                            ? ""
                            : ", from " + request.request().resumeFrom());
        } catch (RuntimeException e) {
            LOG.errorf("data set %s changed but no run could be requested: %s", dataset, e.getMessage());
        }
    }

    /** The model's last requested run and the step its newest checkpoint reached, or null. */
    private RunAt lastRun(String model) {
        try {
            LastRun last = store.getJson(Buckets.CHECKPOINTS, lastRunKey(model), LastRun.class);
            return new RunAt(
                    last.runId(),
                    new CheckpointStore(store).latest(last.runId()).step());
        } catch (StorageException | InvalidPayloadException e) {
            LOG.infof("model %s has no earlier run to fine-tune (%s); training from scratch", model, e.getMessage());
            return null;
        }
    }

    private static String lastRunKey(String model) {
        return "_models/" + model + ".json";
    }

    /** The pointer {@code _models/{model}.json}. */
    public record LastRun(String runId) {
        public LastRun {
            Require.safeName(runId, "runId");
        }
    }

    private record RunAt(String runId, long step) {}
}
