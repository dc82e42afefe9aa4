package dev.ddpm.sampler.registry;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.ModelRejected;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectIntegrityException;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.StoredObject;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.engine.ModelRejectedException;
import dev.ddpm.sampler.engine.OnnxEngine;
import dev.ddpm.sampler.messaging.outgoing.SamplerEvents;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The model versions this replica serves: per name a current version (what requests without a
 * version get) and any pinned versions requests asked for. A new version is downloaded, verified
 * (sha256 of manifest and graph), checked against its manifest and warmed up before it replaces
 * the current one in a single map update: requests already running keep their lease on the old
 * version, which closes after the last of them. A version that fails any check is rejected
 * (ModelRejected on ddpm.models) and the current version goes on serving.
 */
@Singleton
public class ModelRegistry {

    private static final Logger LOG = Logger.getLogger(ModelRegistry.class);
    private static final String MANIFEST = "manifest.json";

    private final ArtifactStore store;
    private final OnnxEngine engine;
    private final SamplerEvents events;
    private final ConcurrentMap<String, LoadedModel> current = new ConcurrentHashMap<>();
    /** Versions requests pinned, least recently used first; guarded by itself. */
    private final LinkedHashMap<String, LoadedModel> pinned = new LinkedHashMap<>(16, 0.75f, true);

    private final int maxPinned;
    /** {@code ddpm_sampler_model_info{model, version}} = 1 for each current version (dashboards). */
    private final MultiGauge servedVersions;

    public ModelRegistry(
            ArtifactStore store, OnnxEngine engine, SamplerEvents events, MeterRegistry meters, SamplerConfig config) {
        this.store = store;
        this.maxPinned = config.maxPinnedVersions();
        if (maxPinned < 1) {
            throw new IllegalArgumentException("sampler.max-pinned-versions must be >= 1, was " + maxPinned);
        }
        this.engine = engine;
        this.events = events;
        this.servedVersions = MultiGauge.builder("ddpm_sampler_model_info")
                .description("1 for each model version this replica serves by default")
                .register(meters);
    }

    private void publishServedVersions() {
        servedVersions.register(
                current.values().stream()
                        .map(m -> MultiGauge.Row.of(Tags.of("model", m.name(), "version", m.version()), 1))
                        .toList(),
                true);
    }

    /** The current version of each model, by name. */
    public Map<String, LoadedModel> current() {
        return new TreeMap<>(current);
    }

    public boolean anyLoaded() {
        return !current.isEmpty();
    }

    /**
     * A lease on {@code name} at {@code version} (null or empty: the current version). A pinned
     * version that is not loaded yet is loaded now.
     */
    public LoadedModel.Lease acquire(String name, String version) {
        if (version == null || version.isEmpty()) {
            for (int attempt = 0; attempt < 10; attempt++) {
                LoadedModel model = current.get(name);
                if (model == null) {
                    throw new UnknownModelException(
                            "model '" + name + "' is not loaded here; loaded: " + current.keySet());
                }
                LoadedModel.Lease lease = model.lease();
                if (lease != null) {
                    return lease;
                }
                // retired between get and lease: a newer version is in the map now
            }
            throw new IllegalStateException("model '" + name + "' is being swapped repeatedly; retry");
        }
        LoadedModel now = current.get(name);
        if (now != null && now.version().equals(version)) {
            LoadedModel.Lease lease = now.lease();
            if (lease != null) {
                return lease;
            }
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            LoadedModel.Lease lease = pinnedVersion(name, version).lease();
            if (lease != null) {
                return lease;
            }
            // unloaded between lookup and lease (made room for another pinned version): load it again
        }
        throw new IllegalStateException("version " + name + "/" + version + " is being unloaded repeatedly; retry");
    }

    /**
     * A pinned version, loaded now if it is not. At most {@code sampler.max-pinned-versions} stay
     * loaded: the least recently used beyond that is retired (it closes after its last request).
     */
    private LoadedModel pinnedVersion(String name, String version) {
        String key = name + "/" + version;
        synchronized (pinned) {
            LoadedModel model = pinned.get(key);
            if (model != null) {
                return model;
            }
            if (!store.exists(Buckets.MODELS, key + "/" + MANIFEST)) {
                throw new UnknownModelException("model '" + name + "' has no version '" + version + "'");
            }
            model = open(manifestAt(key + "/" + MANIFEST, null));
            pinned.put(key, model);
            while (pinned.size() > maxPinned) {
                Map.Entry<String, LoadedModel> eldest =
                        pinned.entrySet().iterator().next();
                pinned.remove(eldest.getKey());
                eldest.getValue().retire();
                LOG.infof(
                        "pinned version %s unloaded: %d pinned versions at most (sampler.max-pinned-versions)",
                        eldest.getKey(), maxPinned);
            }
            return model;
        }
    }

    /** The pinned versions loaded now ({@code name/version}), least recently used first. */
    public List<String> pinnedVersions() {
        synchronized (pinned) {
            return List.copyOf(pinned.keySet());
        }
    }

    /**
     * Installs the version a manifest describes (from ModelPublished: key and sha256 of the manifest)
     * as the current one. Publications arrive in the order they were made (one partition per model
     * on ddpm.models), so the one installed last is the newest; what a manifest says of its own date
     * decides nothing. Rejections are announced and rethrown.
     */
    public synchronized Optional<LoadedModel> install(String manifestKey, String manifestSha256) {
        ModelManifest manifest;
        try {
            manifest = manifestAt(manifestKey, manifestSha256);
        } catch (ModelRejectedException e) {
            String[] parts = manifestKey.split("/");
            reject(parts[0], parts.length > 1 ? parts[1] : "unknown", e.getMessage());
            throw e;
        }
        LoadedModel existing = current.get(manifest.name());
        if (existing != null && existing.version().equals(manifest.version())) {
            LOG.debugf("model %s version %s is served already", manifest.name(), manifest.version());
            return Optional.empty();
        }
        LoadedModel model;
        try {
            model = open(manifest);
        } catch (ModelRejectedException e) {
            reject(manifest.name(), manifest.version(), e.getMessage());
            throw e;
        }
        LoadedModel previous = current.put(manifest.name(), model);
        publishServedVersions();
        LOG.infof(
                "serving model %s version %s on %s%s",
                model.name(),
                model.version(),
                model.provider().label(),
                previous == null ? "" : " (was " + previous.version() + ", retired after its last request)");
        if (previous != null) {
            previous.retire();
        }
        return Optional.of(model);
    }

    /** Loads the newest loadable version of {@code name} from the models bucket; empty when it has none. */
    public Optional<LoadedModel> installLatest(String name) {
        for (String version : versions(name)) {
            try {
                return install(name + "/" + version + "/" + MANIFEST, null)
                        .or(() -> Optional.ofNullable(current.get(name)));
            } catch (ModelRejectedException e) {
                LOG.warnf("model %s version %s rejected (%s); trying the one before", name, version, e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Names of the models in the bucket (each with at least one manifest). */
    public List<String> storedModels() {
        return store.list(Buckets.MODELS, "").stream()
                .map(StoredObject::key)
                .filter(k -> k.endsWith("/" + MANIFEST) && k.split("/").length == 3)
                .map(k -> k.substring(0, k.indexOf('/')))
                .distinct()
                .sorted()
                .toList();
    }

    /** Versions of {@code name} that have a manifest, newest first. */
    public List<String> versions(String name) {
        return store.list(Buckets.MODELS, name + "/").stream()
                .map(StoredObject::key)
                .filter(k -> k.endsWith("/" + MANIFEST) && k.split("/").length == 3)
                .map(k -> k.split("/")[1])
                .sorted(Comparator.reverseOrder())
                .toList();
    }

    /** Stops serving {@code name} (current and pinned versions); running requests finish first. */
    public boolean unload(String name) {
        LoadedModel model = current.remove(name);
        publishServedVersions();
        List<String> keys;
        synchronized (pinned) {
            keys = new ArrayList<>(pinned.keySet().stream()
                    .filter(k -> k.startsWith(name + "/"))
                    .toList());
            for (String key : keys) {
                pinned.remove(key).retire();
            }
        }
        if (model != null) {
            model.retire();
            LOG.infof("model %s unloaded (version %s closes after its last request)", name, model.version());
        }
        return model != null || !keys.isEmpty();
    }

    @PreDestroy
    void close() {
        current.values().forEach(LoadedModel::retire);
        synchronized (pinned) {
            pinned.values().forEach(LoadedModel::retire);
        }
    }

    private ModelManifest manifestAt(String key, String sha256) {
        try {
            String expected = sha256 != null
                    ? sha256
                    : store.storedSha256(Buckets.MODELS, key).orElse(null);
            byte[] bytes = expected == null
                    ? store.get(Buckets.MODELS, key)
                    : store.get(new ObjectRef(Buckets.MODELS, key, 0, expected));
            ModelManifest manifest = Json.read(bytes, ModelManifest.class);
            if (!key.equals(manifest.name() + "/" + manifest.version() + "/" + MANIFEST)) {
                throw new ModelRejectedException(
                        "manifest " + key + " names " + manifest.name() + "/" + manifest.version());
            }
            return manifest;
        } catch (ObjectIntegrityException e) {
            throw new ModelRejectedException("manifest " + key + " fails its sha256: " + e.getMessage(), e);
        } catch (InvalidPayloadException e) {
            throw new ModelRejectedException("manifest " + key + " is malformed: " + e.getMessage(), e);
        }
    }

    private LoadedModel open(ModelManifest manifest) {
        byte[] graph = graph(manifest, manifest.onnx());
        byte[] guideGraph = manifest.guide() == null
                ? null
                : graph(manifest, manifest.guide().onnx());
        long start = System.nanoTime();
        LoadedModel model = LoadedModel.open(engine, manifest, graph, guideGraph);
        LOG.infof(
                "loaded model %s version %s (%,d bytes%s) and warmed it up in %d ms",
                manifest.name(),
                manifest.version(),
                graph.length,
                guideGraph == null
                        ? ""
                        : String.format(
                                ", autoguided w=%s by a %,d-byte guide from step %d",
                                manifest.guide().weight(),
                                guideGraph.length,
                                manifest.guide().training().step()),
                (System.nanoTime() - start) / 1_000_000);
        return model;
    }

    private byte[] graph(ModelManifest manifest, ModelManifest.Onnx onnx) {
        try {
            return store.get(new ObjectRef(Buckets.MODELS, onnx.key(), onnx.sizeBytes(), onnx.sha256()));
        } catch (ObjectIntegrityException e) {
            throw new ModelRejectedException(
                    onnx.key() + " of " + manifest.name() + " " + manifest.version() + " fails its sha256: "
                            + e.getMessage(),
                    e);
        }
    }

    private void reject(String name, String version, String reason) {
        LOG.warnf("model %s version %s rejected: %s; the current version keeps serving", name, version, reason);
        try {
            events.modelRejections().sendAndWait(new ModelRejected(name, version, reason), Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            LOG.warnf("could not announce the rejection of %s %s: %s", name, version, e.getMessage());
        }
    }
}
