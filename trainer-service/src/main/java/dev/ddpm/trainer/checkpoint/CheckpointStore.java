package dev.ddpm.trainer.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.core.storage.StoredObject;
import dev.ddpm.core.storage.Upload;
import dev.ddpm.trainer.train.DiffusionNetwork;
import dev.ddpm.trainer.train.DiffusionTrainer;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checkpoints of a run in {@code ddpm-checkpoints}: weights, EMA weights and optimizer state under
 * {@code {run}/step-{n}/}, then that step's {@code checkpoint.json}, then {@code {run}/latest.json}
 * pointing at it. Resuming verifies every object's sha256 and falls back to the previous checkpoint
 * when the newest one is damaged. After each save, checkpoints a {@link CheckpointRetention} does not
 * keep are deleted, manifest first, so a half-deleted checkpoint is never a resume candidate.
 */
public final class CheckpointStore {

    private static final Logger LOG = Logger.getLogger(CheckpointStore.class);
    private static final Pattern STEP_MANIFEST = Pattern.compile(".*/step-(\\d+)/checkpoint\\.json");
    private static final Pattern STEP_OBJECT = Pattern.compile(".*/step-(\\d+)/[^/]+");

    private final ArtifactStore store;

    public CheckpointStore(ArtifactStore store) {
        this.store = store;
    }

    public static String latestKey(String runId) {
        return runId + "/latest.json";
    }

    /** Where a run keeps the training request it was planned from. */
    public static String recipeKey(String runId) {
        return runId + "/recipe.json";
    }

    /** Keeps the request a run trains by beside its checkpoints, for the models it publishes. */
    public void saveRecipe(String runId, TrainingRequest recipe) {
        store.putJson(Buckets.CHECKPOINTS, recipeKey(runId), recipe);
    }

    /**
     * The training request of a run; empty for a run planned by hand rather than from a request.
     *
     * @throws InvalidPayloadException when the stored request is malformed
     */
    public Optional<TrainingRequest> recipe(String runId) {
        return store.exists(Buckets.CHECKPOINTS, recipeKey(runId))
                ? Optional.of(store.getJson(Buckets.CHECKPOINTS, recipeKey(runId), TrainingRequest.class))
                : Optional.empty();
    }

    /**
     * The manifest {@code latest.json} points at, verified against its sha256.
     *
     * @throws StorageException when the run has no checkpoint or it cannot be read
     * @throws InvalidPayloadException when a document is malformed
     */
    public CheckpointManifest latest(String runId) {
        ObjectRef pointer = store.getJson(Buckets.CHECKPOINTS, latestKey(runId), ObjectRef.class);
        return store.getJson(pointer, CheckpointManifest.class);
    }

    /**
     * The network of the run's newest usable checkpoint (weights, EMA, step), built from the
     * architecture and diffusion settings the checkpoint records: for sampling, evaluating and
     * exporting a run. The caller closes it.
     *
     * @throws NoUsableCheckpointException when the run has no usable checkpoint
     */
    public DiffusionNetwork restore(String runId, Device device) {
        return newestUsable(runId, manifest -> restore(manifest, device))
                .orElseThrow(() -> new NoUsableCheckpointException("run " + runId + " has no usable checkpoint"));
    }

    /**
     * As {@link #restore(String, ai.djl.Device)} for the checkpoint at exactly {@code step} (an earlier
     * checkpoint of a run, e.g. as an autoguidance guide), without falling back to another one.
     *
     * @throws NoUsableCheckpointException when the run has no checkpoint at that step, or it fails its sha256
     */
    public DiffusionNetwork restore(String runId, long step, Device device) {
        return exactly(runId, step, manifest -> restore(manifest, device));
    }

    /**
     * As {@link #resume(String, DiffusionTrainer)} from the checkpoint at exactly {@code step}: a
     * fine-tune of a published version starts from that version's weights, not from a later checkpoint
     * of the same run.
     *
     * @throws NoUsableCheckpointException when the run has no checkpoint at that step, or it fails its sha256
     */
    public CheckpointManifest resume(String runId, long step, DiffusionTrainer trainer) {
        return exactly(runId, step, manifest -> {
            apply(load(manifest), trainer);
            LOG.infof("resumed run %s from its checkpoint of step %d", runId, manifest.step());
            return manifest;
        });
    }

    /** {@code use} applied to the run's checkpoint at {@code step}, without falling back to another. */
    private <T> T exactly(String runId, long step, Function<CheckpointManifest, T> use) {
        String key = runId + "/step-" + step + "/checkpoint.json";
        List<ObjectRef> candidates = candidates(runId);
        ObjectRef ref = candidates.stream()
                .filter(c -> c.key().equals(key))
                .findFirst()
                .orElseThrow(() -> new NoUsableCheckpointException("run " + runId + " has no checkpoint at step " + step
                        + "; it has "
                        + (candidates.isEmpty()
                                ? "none"
                                : "steps "
                                        + candidates.stream()
                                                .map(c -> STEP_MANIFEST.matcher(c.key()))
                                                .filter(Matcher::matches)
                                                .map(m -> m.group(1))
                                                .distinct()
                                                .sorted(Comparator.comparingLong(Long::parseLong))
                                                .toList())));
        try {
            return use.apply(store.getJson(ref, CheckpointManifest.class));
        } catch (StorageException | InvalidPayloadException | CorruptCheckpointException e) {
            throw new NoUsableCheckpointException("checkpoint " + key + " is unusable: " + e.getMessage(), e);
        }
    }

    /** Reads and verifies the checkpoint's weights, then builds the network that holds them. */
    private DiffusionNetwork restore(CheckpointManifest manifest, Device device) {
        LoadedState state = load(manifest);
        DiffusionNetwork network =
                new DiffusionNetwork(manifest.architecture(), manifest.diffusion(), device, manifest.seed());
        try {
            applyWeights(state, network);
            return network;
        } catch (RuntimeException e) {
            network.close();
            throw e;
        }
    }

    /** Saves the trainer's complete state; returns the reference of the step's checkpoint.json. */
    public ObjectRef save(String runId, DiffusionTrainer trainer) {
        return save(runId, trainer, false, 0);
    }

    /**
     * As {@link #save(String, DiffusionTrainer)}, marking whether the run ended at this step and how
     * long it has trained so far (all attempts).
     */
    public ObjectRef save(String runId, DiffusionTrainer trainer, boolean ended, double trainingSeconds) {
        return save(runId, trainer, ended, trainingSeconds, null);
    }

    /**
     * As {@link #save(String, DiffusionTrainer, boolean, double)}, then deletes the run's checkpoints
     * that {@code retention} does not keep (none when it is null). A failed deletion is logged and
     * retried after the next save; it never fails the run.
     */
    public ObjectRef save(
            String runId,
            DiffusionTrainer trainer,
            boolean ended,
            double trainingSeconds,
            CheckpointRetention retention) {
        return save(runId, trainer, ended, trainingSeconds, retention, CheckpointFence.NONE);
    }

    /**
     * As {@link #save(String, DiffusionTrainer, boolean, double, CheckpointRetention)}, asking {@code fence}
     * before writing and again before pruning.
     *
     * @throws RunFencedException when the fence says another attempt owns the run: nothing more is written
     */
    public ObjectRef save(
            String runId,
            DiffusionTrainer trainer,
            boolean ended,
            double trainingSeconds,
            CheckpointRetention retention,
            CheckpointFence fence) {
        fence.verify();
        // Only a decay end a time box moved is recorded: a resume that plans more steps gets its own.
        Long fittedDecayEnd = trainer.decayEnd() < trainer.settings().decaySteps() ? trainer.decayEnd() : null;
        long step = trainer.step();
        String prefix = runId + "/step-" + step + "/";
        Map<String, NDArray> weights = new LinkedHashMap<>();
        trainer.network().parameters().forEach((name, p) -> weights.put(name, p.getArray()));
        Map<String, NDArray> optimizer = new LinkedHashMap<>();
        trainer.optimizer().firstMoments().forEach((name, m) -> optimizer.put("m/" + name, m));
        trainer.optimizer().secondMoments().forEach((name, v) -> optimizer.put("v/" + name, v));
        List<Upload> data = List.of(
                Upload.bytes(prefix + "weights.bin", TensorArchive.write(tensors(weights)), "application/octet-stream"),
                Upload.bytes(
                        prefix + "ema.bin",
                        TensorArchive.write(tensors(trainer.network().ema().shadow())),
                        "application/octet-stream"),
                Upload.bytes(
                        prefix + "optimizer.bin", TensorArchive.write(tensors(optimizer)), "application/octet-stream"));
        ObjectRef manifest = store.writeThenPoint(
                Buckets.CHECKPOINTS,
                data,
                prefix + "checkpoint.json",
                refs -> new CheckpointManifest(
                        runId,
                        step,
                        Instant.now(),
                        trainer.settings().architecture(),
                        trainer.settings().diffusion(),
                        trainer.settings().seed(),
                        trainer.optimizer().updates(),
                        trainer.skippedSteps(),
                        refs.get(0),
                        refs.get(1),
                        refs.get(2),
                        ended,
                        fittedDecayEnd,
                        trainingSeconds));
        store.putJson(Buckets.CHECKPOINTS, latestKey(runId), manifest);
        if (retention != null) {
            fence.verify();
            prune(runId, step, retention);
        }
        return manifest;
    }

    /** The marker of a checkpoint whose weights were published as a model version. */
    static final String PUBLISHED = "published.json";

    /** Which model version was published from a checkpoint: retention keeps that checkpoint. */
    public record Published(String model, String version) {
        public Published {
            Require.safeName(model, "model");
            Require.safeName(version, "version");
        }
    }

    /**
     * Marks the run's checkpoint of {@code step} as the weights of a published version: retention keeps
     * it, so the version can be fine-tuned (a retraining resumes from exactly that checkpoint) or used as
     * a guide however long the run goes on. Best effort: a failure is logged, the version stands.
     */
    public void markPublished(String runId, long step, String model, String version) {
        try {
            store.putJson(
                    Buckets.CHECKPOINTS, runId + "/step-" + step + "/" + PUBLISHED, new Published(model, version));
        } catch (StorageException e) {
            LOG.warnf(
                    "run %s: checkpoint of step %d not marked as published (%s); retention may delete it",
                    runId, step, e.getMessage());
        }
    }

    /**
     * The version published from the run's checkpoint of {@code step}, if one was: a finished run
     * publishes again only what was never published.
     *
     * @throws StorageException when the marker cannot be read
     */
    public Optional<Published> published(String runId, long step) {
        String key = runId + "/step-" + step + "/" + PUBLISHED;
        return store.exists(Buckets.CHECKPOINTS, key)
                ? Optional.of(store.getJson(Buckets.CHECKPOINTS, key, Published.class))
                : Optional.empty();
    }

    /**
     * The reference latest.json holds: the run's newest checkpoint.json.
     *
     * @throws StorageException when the run has no checkpoint or it cannot be read
     */
    public ObjectRef latestRef(String runId) {
        return store.getJson(Buckets.CHECKPOINTS, latestKey(runId), ObjectRef.class);
    }

    /**
     * Deletes the checkpoints of the run that {@code retention} does not keep; {@code newest} and those a
     * model version was published from always stay.
     */
    void prune(String runId, long newest, CheckpointRetention retention) {
        try {
            List<StoredObject> objects = store.list(Buckets.CHECKPOINTS, runId + "/step-");
            List<Long> steps = objects.stream()
                    .map(o -> STEP_MANIFEST.matcher(o.key()))
                    .filter(Matcher::matches)
                    .map(m -> Long.parseLong(m.group(1)))
                    .toList();
            var kept = retention.kept(steps);
            for (long step : steps) {
                String published = runId + "/step-" + step + "/" + PUBLISHED;
                if (kept.contains(step)
                        || step == newest
                        || objects.stream().anyMatch(o -> o.key().equals(published))) {
                    continue;
                }
                String prefix = runId + "/step-" + step + "/";
                store.delete(Buckets.CHECKPOINTS, prefix + "checkpoint.json");
                for (StoredObject object : objects) {
                    Matcher m = STEP_OBJECT.matcher(object.key());
                    if (object.key().startsWith(prefix)
                            && m.matches()
                            && !object.key().endsWith("/checkpoint.json")) {
                        store.delete(Buckets.CHECKPOINTS, object.key());
                    }
                }
                LOG.debugf("run %s: deleted the checkpoint of step %d (retention %s)", runId, step, retention);
            }
        } catch (StorageException e) {
            LOG.warnf("run %s: old checkpoints not deleted this time: %s", runId, e.getMessage());
        }
    }

    /**
     * Restores the newest usable checkpoint of the run into the trainer. A checkpoint whose objects
     * fail their sha256, are missing or unreadable is skipped with a warning, and the one before it
     * is tried. Returns the checkpoint used, or empty when the run has none usable.
     */
    public Optional<CheckpointManifest> resume(String runId, DiffusionTrainer trainer) {
        return newestUsable(runId, manifest -> {
            apply(load(manifest), trainer);
            LOG.infof("resumed run %s from step %d", runId, manifest.step());
            return manifest;
        });
    }

    /**
     * {@code use} applied to the newest checkpoint of the run for which it succeeds: one whose objects
     * fail their sha256, are missing or unreadable is skipped with a warning and the one before it tried.
     */
    private <T> Optional<T> newestUsable(String runId, Function<CheckpointManifest, T> use) {
        for (ObjectRef candidate : candidates(runId)) {
            try {
                return Optional.of(use.apply(store.getJson(candidate, CheckpointManifest.class)));
            } catch (StorageException | InvalidPayloadException | CorruptCheckpointException e) {
                LOG.warnf(
                        "checkpoint %s of run %s is unusable, trying the previous one: %s",
                        candidate.key(), runId, e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** latest.json's target first, then every step's checkpoint.json, newest first. */
    private List<ObjectRef> candidates(String runId) {
        LinkedHashSet<ObjectRef> candidates = new LinkedHashSet<>();
        try {
            candidates.add(store.getJson(Buckets.CHECKPOINTS, latestKey(runId), ObjectRef.class));
        } catch (StorageException | InvalidPayloadException e) {
            LOG.debugf("no usable latest.json for run %s: %s", runId, e.getMessage());
        }
        List<StoredObject> listed = new ArrayList<>(store.list(Buckets.CHECKPOINTS, runId + "/step-"));
        listed.removeIf(o -> !STEP_MANIFEST.matcher(o.key()).matches());
        listed.sort(Comparator.comparingLong(CheckpointStore::stepOf).reversed());
        for (StoredObject object : listed) {
            if (candidates.stream().noneMatch(c -> c.key().equals(object.key()))) {
                store.storedSha256(object.bucket(), object.key())
                        .ifPresent(sha ->
                                candidates.add(new ObjectRef(object.bucket(), object.key(), object.sizeBytes(), sha)));
            }
        }
        return List.copyOf(candidates);
    }

    private static long stepOf(StoredObject object) {
        Matcher m = STEP_MANIFEST.matcher(object.key());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private record LoadedState(
            CheckpointManifest manifest,
            Map<String, TensorArchive.Tensor> weights,
            Map<String, TensorArchive.Tensor> ema,
            Map<String, TensorArchive.Tensor> optimizer) {}

    /** Reads and verifies everything before touching the trainer, so a bad object changes nothing. */
    private LoadedState load(CheckpointManifest manifest) {
        return new LoadedState(
                manifest,
                TensorArchive.read(
                        store.get(manifest.weights()), manifest.weights().key()),
                TensorArchive.read(
                        store.get(manifest.emaWeights()), manifest.emaWeights().key()),
                TensorArchive.read(
                        store.get(manifest.optimizerState()),
                        manifest.optimizerState().key()));
    }

    /** A run's whole state: the network's, then the optimizer's moments and the step counters. */
    private static void apply(LoadedState state, DiffusionTrainer trainer) {
        applyWeights(state, trainer.network());
        Map<String, Parameter> parameters = trainer.network().parameters();
        Map<String, float[]> first = new LinkedHashMap<>();
        Map<String, float[]> second = new LinkedHashMap<>();
        state.optimizer().forEach((key, tensor) -> {
            if (key.startsWith("m/")) {
                first.put(key.substring(2), tensor.values());
            } else if (key.startsWith("v/")) {
                second.put(key.substring(2), tensor.values());
            }
        });
        trainer.optimizer().restore(state.manifest().optimizerUpdates(), first, second, parameters);
        trainer.restoreStep(state.manifest().step(), state.manifest().skippedSteps());
    }

    /** The weights, their average and their step, checked against the network's shapes first. */
    private static void applyWeights(LoadedState state, DiffusionNetwork network) {
        if (!state.manifest().architecture().equals(network.architecture())) {
            throw new CorruptCheckpointException("checkpoint architecture "
                    + state.manifest().architecture() + " differs from the run's " + network.architecture());
        }
        Map<String, Parameter> parameters = network.parameters();
        for (Map.Entry<String, Parameter> entry : parameters.entrySet()) {
            check(state.weights(), entry.getKey(), entry.getValue().getArray(), "weights");
            check(state.ema(), entry.getKey(), entry.getValue().getArray(), "EMA weights");
        }
        parameters.forEach(
                (name, p) -> p.getArray().set(state.weights().get(name).values()));
        network.ema()
                .shadow()
                .forEach((name, shadow) -> shadow.set(state.ema().get(name).values()));
        network.setStep(state.manifest().step());
    }

    private static void check(Map<String, TensorArchive.Tensor> tensors, String name, NDArray array, String what) {
        TensorArchive.Tensor tensor = tensors.get(name);
        if (tensor == null || tensor.values().length != array.size()) {
            throw new CorruptCheckpointException(what + " lack parameter " + name + " of shape " + array.getShape());
        }
    }

    private static Map<String, TensorArchive.Tensor> tensors(Map<String, NDArray> arrays) {
        Map<String, TensorArchive.Tensor> tensors = new LinkedHashMap<>();
        arrays.forEach((name, array) ->
                tensors.put(name, new TensorArchive.Tensor(array.getShape().getShape(), array.toFloatArray())));
        return tensors;
    }
}
