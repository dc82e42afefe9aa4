package dev.ddpm.trainer.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.RunIds;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.lifecycle.LifecycleException;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.lifecycle.ModelPolicy;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.DatasetOwner;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.core.storage.StoredObject;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.config.RetrainConfig;
import dev.ddpm.trainer.messaging.outgoing.TrainerEvents;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Turns data set changes into training requests: each change (re)starts a quiet-time timer for its
 * data set, and only when it expires are the runs requested, so a burst of uploads trains once.
 *
 * <p>Each model whose production version was trained on the data set (the recipe its manifest
 * records) is retrained by that recipe, unless its retrain policy (its alias document's, else
 * {@code trainer.retrain.policy}) is off: {@code fine-tune} continues from the production version's
 * own checkpoint (its run and step) for {@code trainer.retrain.steps} more steps, {@code scratch}
 * trains the recipe anew. The new version is a candidate that the quality gate compares with
 * production. A data set no production recipe names trains a model of its own name with the
 * {@code trainer.retrain} settings, only while {@code trainer.retrain.policy} is on, fine-tuning from
 * the model's last retraining run ({@link RetrainSlots} records it).
 *
 * <p>A retraining is the data set owner's run ({@code requestedBy}: the owner's key id, and
 * {@code trigger} "dataset-update"), so that its owner's training quota counts it and the owner sees
 * and may cancel it; a data set without an owner retrains as "dataset-update", an admin's run. Each
 * model is retrained only as {@link RetrainSlots} allows: one retraining run at a time, at most one per
 * {@code trainer.retrain.min-interval}; a skipped one counts in
 * {@code ddpm_trainer_retrains_skipped_total{reason}}.
 */
@Startup
@Singleton
public class RetrainPolicy {

    /**
     * The {@code trigger} of the runs a data set change starts, and their {@code requestedBy} when the
     * data set has no owner.
     */
    public static final String DATASET_UPDATE = TrainingRequested.BY_DATASET_UPDATE;

    static final String SKIPPED_METRIC = "ddpm_trainer_retrains_skipped_total";

    private static final Logger LOG = Logger.getLogger(RetrainPolicy.class);

    private final RetrainConfig config;
    private final TrainerEvents events;
    private final ArtifactStore store;
    private final ModelLifecycle lifecycle;
    private final RetrainSlots slots;
    private final MeterRegistry meters;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "ddpm-retrain-debounce");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<String, ScheduledFuture<?>> pending = new ConcurrentHashMap<>();

    public RetrainPolicy(RetrainConfig config, TrainerEvents events, ArtifactStore store, MeterRegistry meters) {
        if (config.minInterval().isNegative()) {
            throw new IllegalArgumentException(
                    "trainer.retrain.min-interval must be 0 or more, was " + config.minInterval());
        }
        this.config = config;
        this.events = events;
        this.store = store;
        this.meters = meters;
        this.lifecycle = new ModelLifecycle(store, event -> events.models().sendAndWait(event), Clock.systemUTC());
        this.slots = new RetrainSlots(store, config.minInterval(), Clock.systemUTC());
    }

    /** Whether a data set that no model's production recipe names trains a model of its own. */
    public boolean enabled() {
        return config.policy() != RetrainConfig.Policy.OFF;
    }

    /**
     * A change to {@code dataset}: (re)start its quiet-time timer. Whatever the global policy, a model
     * whose own policy retrains it may be trained on the data set.
     */
    public void datasetChanged(String dataset) {
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
        List<TrainingRequested> requests;
        try {
            requests = requests(dataset);
        } catch (RuntimeException e) {
            LOG.errorf("data set %s changed but no run could be requested: %s", dataset, e);
            return;
        }
        for (TrainingRequested request : requests) {
            String model = request.request().modelName();
            RetrainSlots.Claim claim;
            try {
                claim = slots.claim(model, request.runId());
            } catch (RuntimeException e) {
                LOG.errorf(
                        "data set %s changed but whether model %s may be retrained is unknown: %s",
                        dataset, model, e.getMessage());
                continue;
            }
            if (claim instanceof RetrainSlots.Refused refused) {
                meters.counter(SKIPPED_METRIC, "reason", refused.skip().tag).increment();
                LOG.infof("data set %s changed: model %s is not retrained now: %s", dataset, model, refused.detail());
                continue;
            }
            request(dataset, request, (RetrainSlots.Granted) claim);
        }
    }

    private void request(String dataset, TrainingRequested request, RetrainSlots.Granted claim) {
        try {
            events.trainingRequests().sendAndWait(request);
        } catch (RuntimeException e) {
            LOG.errorf(
                    "data set %s changed but run %s could not be requested: %s",
                    dataset, request.runId(), e.getMessage());
            try {
                slots.release(claim);
            } catch (RuntimeException releaseFailure) {
                LOG.errorf(
                        "model %s: the claim of run %s, which was not requested, could not be undone (%s); "
                                + "the model is not retrained until ddpm-checkpoints/_models/%s.json is deleted",
                        claim.model(), request.runId(), releaseFailure.getMessage(), claim.model());
            }
            return;
        }
        TrainingRequest r = request.request();
        LOG.infof(
                "data set %s changed: requested run %s of model %s for %s (%s)",
                dataset,
                request.runId(),
                r.modelName(),
                request.requestedBy(),
                r.resumeFrom() == null
                        ? "from scratch"
                        : "from run " + r.resumeFrom()
                                + (r.resumeFromStep() == null ? "" : " step " + r.resumeFromStep()));
    }

    /**
     * The runs a change to {@code dataset} starts: one per model whose production recipe trains on it
     * and whose retrain policy is on; without any such model, the data set's own model while the global
     * policy is on.
     */
    List<TrainingRequested> requests(String dataset) {
        String owner = DatasetOwner.of(store, dataset).orElse(DATASET_UPDATE);
        List<TrainingRequested> requests = new ArrayList<>();
        boolean named = false;
        for (String model : models()) {
            Optional<Production> production = production(model);
            if (production.isEmpty() || !production.get().recipe().dataset().equals(dataset)) {
                continue;
            }
            named = true;
            ModelPolicy.Retrain retrain =
                    production.get().retrain() != null ? production.get().retrain() : globalPolicy();
            if (retrain == ModelPolicy.Retrain.OFF) {
                LOG.infof("data set %s changed: retraining of model %s is off", dataset, model);
                continue;
            }
            try {
                requests.add(new TrainingRequested(
                        RunIds.next(model), byRecipe(model, production.get(), retrain), owner, DATASET_UPDATE));
            } catch (RuntimeException e) {
                LOG.errorf("data set %s changed: model %s cannot be retrained by its recipe: %s", dataset, model, e);
            }
        }
        if (!named && enabled()) {
            requests.add(ownModel(dataset, owner));
        }
        return requests;
    }

    /**
     * The production version's recipe, everything it records inherited: {@code fine-tune} continues
     * from the checkpoint of the production version's run and step for {@code trainer.retrain.steps}
     * more steps; {@code scratch} trains the recipe from the start.
     */
    private TrainingRequest byRecipe(String model, Production production, ModelPolicy.Retrain retrain) {
        TrainingRequest.Builder training = production.recipe().toBuilder().modelName(model);
        if (retrain == ModelPolicy.Retrain.FINE_TUNE) {
            ModelManifest.Training trained = production.manifest().training();
            return training.resumeFrom(trained.runId())
                    .resumeFromStep(trained.step())
                    .steps(trained.step() + config.steps())
                    .build();
        }
        return training.resumeFrom(null).resumeFromStep(null).build();
    }

    private ModelPolicy.Retrain globalPolicy() {
        return switch (config.policy()) {
            case OFF -> ModelPolicy.Retrain.OFF;
            case SCRATCH -> ModelPolicy.Retrain.SCRATCH;
            case FINE_TUNE -> ModelPolicy.Retrain.FINE_TUNE;
        };
    }

    /** The models in the models bucket: the first part of every key (staging objects aside). */
    private List<String> models() {
        TreeSet<String> models = new TreeSet<>();
        for (StoredObject object : store.list(Buckets.MODELS, "")) {
            int slash = object.key().indexOf('/');
            if (slash > 0 && !object.key().startsWith(ArtifactStore.STAGING_PREFIX)) {
                models.add(object.key().substring(0, slash));
            }
        }
        return List.copyOf(models);
    }

    /**
     * The model's production version with its recipe and retrain policy; empty when it has none, its
     * manifest records no recipe, or what it has cannot be read (skipped: another model's trouble must
     * not keep this data set's models from retraining).
     */
    private Optional<Production> production(String model) {
        try {
            ModelAliases aliases = lifecycle.aliases(model);
            Optional<String> version = aliases.production();
            if (version.isEmpty()) {
                return Optional.empty();
            }
            ModelManifest manifest =
                    store.getJson(Buckets.MODELS, model + "/" + version.get() + "/manifest.json", ModelManifest.class);
            return manifest.training()
                    .trainingRequest()
                    .map(recipe ->
                            new Production(manifest, recipe, aliases.policy().retrain()));
        } catch (LifecycleException | StorageException | InvalidPayloadException e) {
            LOG.debugf("model %s: no readable production recipe (%s)", model, e.getMessage());
            return Optional.empty();
        }
    }

    /** A production version, the request it was trained by, and the model's own retrain policy (null: none). */
    private record Production(ModelManifest manifest, TrainingRequest recipe, ModelPolicy.Retrain retrain) {}

    /** A run of the model named after {@code dataset}, with the {@code trainer.retrain} settings. */
    private TrainingRequested ownModel(String dataset, String owner) {
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
        return new TrainingRequested(RunIds.next(model), training.build(), owner, DATASET_UPDATE);
    }

    /** The model's last retraining run and the step its newest checkpoint reached, or null. */
    private RunAt lastRun(String model) {
        try {
            Optional<RetrainSlots.LastRun> last = slots.last(model);
            if (last.isEmpty()) {
                LOG.infof("model %s has no earlier run to fine-tune; training from scratch", model);
                return null;
            }
            return new RunAt(
                    last.get().runId(),
                    new CheckpointStore(store).latest(last.get().runId()).step());
        } catch (StorageException | InvalidPayloadException e) {
            LOG.infof("model %s has no earlier run to fine-tune (%s); training from scratch", model, e.getMessage());
            return null;
        }
    }

    private record RunAt(String runId, long step) {}
}
