package dev.ddpm.sampler.registry;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.ModelRejected;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.lifecycle.CanarySplit;
import dev.ddpm.core.lifecycle.ModelAliasStore;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.signing.ManifestSignatureException;
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

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Stream;

/**
 * The model versions this replica serves: per name a current version (production: what requests
 * without a version get), the canary version beside it while production has a canary split, and
 * any pinned versions requests asked for. A model's alias document ({@code aliases.json}) says which
 * versions those are; a model without one (published before aliases existed) serves its newest
 * version. A new version is downloaded, verified (the manifest's signature by a trusted trainer key,
 * then each graph's bytes against the sha256 the signed manifest names, before ONNX Runtime sees them),
 * checked against its manifest and warmed up before it replaces the current one in a single map update: requests already
 * running keep their lease on the old version, which closes after the last of them. A version that
 * fails any check is rejected (ModelRejected on ddpm.models) and the current version goes on serving.
 */
@Singleton
public class ModelRegistry {

    private static final Logger LOG = Logger.getLogger(ModelRegistry.class);
    private static final String MANIFEST = "manifest.json";

    private final ArtifactStore store;
    private final OnnxEngine engine;
    private final SamplerEvents events;
    private final ModelAliasStore aliasStore;
    private final ManifestTrust trust;
    private final MeterRegistry meters;
    private final ConcurrentMap<String, LoadedModel> current = new ConcurrentHashMap<>();
    /** The version that takes production's canary share, per model that has a canary split. */
    private final ConcurrentMap<String, LoadedModel> canaries = new ConcurrentHashMap<>();
    /**
     * The alias document each model is served by; a model without one serves its newest version. A
     * document whose revision is not newer than the one here changes nothing (replays, redeliveries).
     */
    private final ConcurrentMap<String, ModelAliases> applied = new ConcurrentHashMap<>();
    /** The revision per model whose versions were rejected: not tried again until a newer one comes. */
    private final Map<String, Long> refusedRevisions = new HashMap<>();
    /** Versions requests pinned, least recently used first; guarded by itself. */
    private final LinkedHashMap<String, LoadedModel> pinned = new LinkedHashMap<>(16, 0.75f, true);

    /** Pinned versions being loaded, each by the first request that asked for it; guarded by {@link #pinned}. */
    private final Map<String, CompletableFuture<LoadedModel>> loading = new HashMap<>();
    /** Every version this registry opened whose session is not closed yet (retired ones still leased among them). */
    private final Set<LoadedModel> opened = ConcurrentHashMap.newKeySet();

    private final ModelLoads loads;
    private final int maxPinned;
    /** {@code ddpm_sampler_model_info{model, version}} = 1 for each current version (dashboards). */
    private final MultiGauge servedVersions;

    public ModelRegistry(
            ArtifactStore store, OnnxEngine engine, SamplerEvents events, MeterRegistry meters, SamplerConfig config) {
        this.store = store;
        this.aliasStore = new ModelAliasStore(store);
        this.trust = new ManifestTrust(store, config.signing());
        this.meters = meters;
        this.maxPinned = config.maxPinnedVersions();
        this.loads = new ModelLoads(config);
        if (maxPinned < 1) {
            throw new IllegalArgumentException("sampler.max-pinned-versions must be >= 1, was " + maxPinned);
        }
        this.engine = engine;
        this.events = events;
        this.servedVersions = MultiGauge.builder("ddpm_sampler_model_info")
                .description("1 for each model version this replica serves by default (production and canary)")
                .register(meters);
        meters.gauge("ddpm_sampler_open_sessions", this, ModelRegistry::openSessions);
    }

    private void publishServedVersions() {
        servedVersions.register(
                Stream.concat(current.values().stream(), canaries.values().stream())
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
     * A lease on {@code name} at {@code version}: a version, an alias ({@code production},
     * {@code candidate}) or null/empty for the current (production) version. A pinned version that is
     * not loaded yet is loaded now. A canary split is not applied: see
     * {@link #acquire(String, String, long)}.
     */
    public LoadedModel.Lease acquire(String name, String version) {
        return acquire(name, version, false, 0, null);
    }

    /**
     * As {@link #acquire(String, String)} for a request: one without a version goes to the canary's
     * version when production has a canary split that takes {@code routingKey}, so that the same key
     * always lands on the same version.
     */
    public LoadedModel.Lease acquire(String name, String version, long routingKey) {
        return acquire(name, version, true, routingKey, null);
    }

    /**
     * As {@link #acquire(String, String, long)}, a pinned version's load counted against
     * {@code caller} (the {@code ddpm-caller} of the call; null or blank: all anonymous calls together).
     *
     * @throws ModelLoadRefusedException the version is not loaded and may not be now (sessions, or the caller's loads)
     */
    public LoadedModel.Lease acquire(String name, String version, long routingKey, String caller) {
        return acquire(name, version, true, routingKey, caller);
    }

    /** As {@link #acquire(String, String)}, a pinned version's load counted against {@code caller}. */
    public LoadedModel.Lease acquire(String name, String version, String caller) {
        return acquire(name, version, false, 0, caller);
    }

    private LoadedModel.Lease acquire(String name, String version, boolean routed, long routingKey, String caller) {
        if (version == null || version.isEmpty()) {
            if (routed) {
                LoadedModel.Lease canary = canaryLease(name, routingKey);
                if (canary != null) {
                    return canary;
                }
            }
            return currentLease(name);
        }
        if (ModelAliases.isAlias(version)) {
            ModelAliases aliases = applied.get(name);
            if (aliases == null && ModelAliases.PRODUCTION.equals(version)) {
                return currentLease(name);
            }
            String resolved = aliases == null ? null : aliases.aliases().get(version);
            if (resolved == null) {
                throw new UnknownModelException("model '" + name + "' has no " + version + " version"
                        + (current.containsKey(name) ? "" : "; loaded: " + current.keySet()));
            }
            version = resolved;
        }
        for (LoadedModel loaded : new LoadedModel[] {current.get(name), canaries.get(name)}) {
            if (loaded != null && loaded.version().equals(version)) {
                LoadedModel.Lease lease = loaded.lease();
                if (lease != null) {
                    return lease;
                }
            }
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            LoadedModel.Lease lease =
                    pinnedVersion(name, version, ModelLoads.caller(caller)).lease();
            if (lease != null) {
                return lease;
            }
            // unloaded between lookup and lease (made room for another pinned version): load it again
        }
        throw new IllegalStateException("version " + name + "/" + version + " is being unloaded repeatedly; retry");
    }

    private LoadedModel.Lease currentLease(String name) {
        for (int attempt = 0; attempt < 10; attempt++) {
            LoadedModel model = current.get(name);
            if (model == null) {
                throw new UnknownModelException("model '" + name + "' is not loaded here; loaded: " + current.keySet());
            }
            LoadedModel.Lease lease = model.lease();
            if (lease != null) {
                return lease;
            }
            // retired between get and lease: a newer version is in the map now
        }
        throw new IllegalStateException("model '" + name + "' is being swapped repeatedly; retry");
    }

    /** A lease on the canary's version when the split takes this key and that version is loaded; else null. */
    private LoadedModel.Lease canaryLease(String name, long routingKey) {
        ModelAliases aliases = applied.get(name);
        CanarySplit split = aliases == null ? null : aliases.canary();
        if (split == null || !split.takes(routingKey)) {
            return null;
        }
        LoadedModel canary = canaries.get(name);
        // Between the maps' updates of a change the loaded canary may still be the previous one:
        // production serves meanwhile rather than a version the split no longer names.
        return canary != null && canary.version().equals(split.version()) ? canary.lease() : null;
    }

    /**
     * A pinned version, loaded now if it is not. The load runs outside every lock the registry
     * holds, so that one slow load holds up nothing else; requests for the same version meanwhile
     * wait for that one load. At most {@code sampler.max-pinned-versions} stay loaded: the least
     * recently used beyond that is retired (it closes after its last request).
     *
     * @throws ModelLoadRefusedException beyond the open sessions or the caller's loads per minute
     */
    private LoadedModel pinnedVersion(String name, String version, String caller) {
        String key = name + "/" + version;
        CompletableFuture<LoadedModel> load;
        synchronized (pinned) {
            LoadedModel model = pinned.get(key);
            if (model != null) {
                return model;
            }
            load = loading.get(key);
            if (load == null) {
                closeIdlePinnedVersions();
                loads.start(caller, key, sessionsBeyondServed() + loading.size());
                load = new CompletableFuture<>();
                loading.put(key, load);
            } else {
                return await(load);
            }
        }
        try {
            if (!store.exists(Buckets.MODELS, key + "/" + MANIFEST)) {
                throw new UnknownModelException("model '" + name + "' has no version '" + version + "'");
            }
            LoadedModel model = open(manifestAt(key + "/" + MANIFEST, null));
            synchronized (pinned) {
                loading.remove(key);
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
            }
            load.complete(model);
            return model;
        } catch (Throwable e) {
            // Errors too (a native library that fails to open the graph): requests waiting for this
            // load must hear of it, and the version must not count as loading forever.
            synchronized (pinned) {
                loading.remove(key);
            }
            load.completeExceptionally(e);
            throw e;
        }
    }

    /** The version another request is loading, once it is; that request's failure, if it failed. */
    private static LoadedModel await(CompletableFuture<LoadedModel> load) {
        try {
            return load.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /**
     * At the session cap, pinned versions no request holds are closed first (least recently used
     * first), so that the cap refuses a load only while the open sessions are in use. Holds {@link #pinned}.
     */
    private void closeIdlePinnedVersions() {
        for (Iterator<Map.Entry<String, LoadedModel>> it = pinned.entrySet().iterator();
                it.hasNext() && sessionsBeyondServed() + loading.size() >= loads.maxOpen(); ) {
            Map.Entry<String, LoadedModel> entry = it.next();
            if (entry.getValue().activeLeases() == 0) {
                it.remove();
                entry.getValue().retire();
                LOG.infof(
                        "pinned version %s unloaded: %d model sessions at most (sampler.sessions.max-open)",
                        entry.getKey(), loads.maxOpen());
            }
        }
    }

    /**
     * Sessions open beyond the versions served by default (production and canary, which always load):
     * pinned versions and retired ones still leased, what {@code sampler.sessions.max-open} bounds.
     */
    private int sessionsBeyondServed() {
        long served = Stream.concat(current.values().stream(), canaries.values().stream())
                .filter(model -> !model.closed())
                .distinct()
                .count();
        return (int) Math.max(0, openSessions() - served);
    }

    /** ONNX Runtime sessions open now: versions served, pinned, and retired ones still leased. */
    public int openSessions() {
        opened.removeIf(LoadedModel::closed);
        return opened.size();
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
            reject(parts[0], parts.length > 1 ? parts[1] : "unknown", e);
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
            reject(manifest.name(), manifest.version(), e);
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

    /**
     * Serves {@code name} as its alias document says, read from the models bucket now: production
     * and the canary's version; a model without a document, its newest version. Empty when nothing
     * of it can be served.
     */
    public Optional<LoadedModel> installProduction(String name) {
        Optional<ModelAliases> aliases = storedAliases(name);
        if (aliases.isEmpty()) {
            return installLatest(name);
        }
        apply(aliases.get());
        return Optional.ofNullable(current.get(name));
    }

    /** The model's alias document as it is in the models bucket now; empty when it has none. */
    public Optional<ModelAliases> storedAliases(String name) {
        return aliasStore.read(name);
    }

    /** The alias document {@code name} is served by; empty for a model served without one. */
    public Optional<ModelAliases> aliases(String name) {
        return Optional.ofNullable(applied.get(name));
    }

    /**
     * Serves a model as {@code aliases} says, unless a document of the same or a later revision is
     * applied already. The versions it names are loaded and warmed up first (or taken from what is
     * loaded: the canary's version promoted, a pinned candidate), then production and the canary
     * change in one map update each; requests in flight finish on the versions they leased, which
     * close after them. A production version that is rejected leaves everything as it was, and this
     * revision is not tried again. A canary version that is rejected takes no share: production
     * serves every request, so that a bad canary cannot keep a replica from serving the model.
     *
     * @return whether this document is now the one applied
     * @throws ModelRejectedException when its production version fails its checks (announced)
     */
    public synchronized boolean apply(ModelAliases aliases) {
        String name = aliases.model();
        ModelAliases known = applied.get(name);
        if (known != null && aliases.revision() <= known.revision()
                || refusedRevisions.getOrDefault(name, -1L) >= aliases.revision()) {
            return false;
        }
        String productionVersion = aliases.production().orElse(null);
        CanarySplit split = aliases.canary();
        LoadedModel production = null;
        LoadedModel canary = null;
        try {
            production = productionVersion == null ? current.get(name) : obtain(name, productionVersion);
        } catch (ModelRejectedException e) {
            refusedRevisions.put(name, aliases.revision());
            throw e;
        }
        try {
            canary = split == null ? null : obtain(name, split.version());
        } catch (ModelRejectedException e) {
            LOG.warnf(
                    "model %s: canary version %s rejected; production %s serves all requests (revision %d)",
                    name, split.version(), productionVersion, aliases.revision());
        } catch (RuntimeException e) {
            retireUnlessServing(production, name);
            throw e;
        }
        LoadedModel previousProduction = production == null ? current.get(name) : current.put(name, production);
        LoadedModel previousCanary = canary == null ? canaries.remove(name) : canaries.put(name, canary);
        applied.put(name, aliases);
        publishServedVersions();
        for (LoadedModel previous : new LoadedModel[] {previousProduction, previousCanary}) {
            if (previous != null && previous != production && previous != canary) {
                previous.retire();
            }
        }
        if (previousProduction != production && production != null) {
            LOG.infof(
                    "serving model %s version %s as production (revision %d)%s",
                    name,
                    production.version(),
                    aliases.revision(),
                    previousProduction == null
                            ? ""
                            : " (was " + previousProduction.version() + ", retired after its last request)");
        }
        if (previousCanary != canary) {
            LOG.infof(
                    "model %s canary: %s (revision %d)",
                    name,
                    canary == null ? "none" : split.percent() + " % of requests to " + split.version(),
                    aliases.revision());
        }
        return true;
    }

    /**
     * {@code name} at {@code version} loaded: the one already serving as production or canary, a
     * pinned one (no longer pinned: it is about to serve by default), or opened now.
     */
    private LoadedModel obtain(String name, String version) {
        for (LoadedModel loaded : new LoadedModel[] {current.get(name), canaries.get(name)}) {
            if (loaded != null && loaded.version().equals(version)) {
                return loaded;
            }
        }
        synchronized (pinned) {
            LoadedModel model = pinned.remove(name + "/" + version);
            if (model != null) {
                return model;
            }
        }
        String key = name + "/" + version + "/" + MANIFEST;
        try {
            return open(manifestAt(key, null));
        } catch (ModelRejectedException e) {
            reject(name, version, e);
            throw e;
        }
    }

    private void retireUnlessServing(LoadedModel model, String name) {
        if (model != null && model != current.get(name) && model != canaries.get(name)) {
            model.retire();
        }
    }

    /**
     * Re-reads the alias document of {@code name} and applies it when it is newer than the one
     * applied: what a missed announcement would have changed.
     */
    public void refresh(String name) {
        storedAliases(name).ifPresent(this::apply);
    }

    /** The models served now: those with a current version and those served by an alias document. */
    public List<String> servedModels() {
        return Stream.concat(current.keySet().stream(), applied.keySet().stream())
                .distinct()
                .sorted()
                .toList();
    }

    /**
     * Drops {@code name} at {@code version} if it is loaded as a pinned version (its files were
     * deleted); production and the canary are left to their alias document, which never names a
     * deleted version.
     */
    public boolean dropVersion(String name, String version) {
        LoadedModel model;
        synchronized (pinned) {
            model = pinned.remove(name + "/" + version);
        }
        if (model == null) {
            return false;
        }
        model.retire();
        LOG.infof("pinned version %s/%s unloaded: it was deleted", name, version);
        return true;
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

    /** Stops serving {@code name} (current, canary and pinned versions); running requests finish first. */
    public synchronized boolean unload(String name) {
        LoadedModel model = current.remove(name);
        LoadedModel canary = canaries.remove(name);
        // Loaded again later, the model is served as its document says then, whatever revision that is.
        applied.remove(name);
        refusedRevisions.remove(name);
        publishServedVersions();
        if (canary != null) {
            canary.retire();
        }
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
        return model != null || canary != null || !keys.isEmpty();
    }

    @PreDestroy
    void close() {
        current.values().forEach(LoadedModel::retire);
        canaries.values().forEach(LoadedModel::retire);
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
            // Verified before it is parsed: an unsigned manifest's contents decide nothing.
            trust.verify(key, bytes);
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
        } catch (ManifestSignatureException e) {
            throw new ModelRejectedException(e.getMessage(), e);
        }
    }

    private LoadedModel open(ModelManifest manifest) {
        byte[] graph = graph(manifest, manifest.onnx());
        byte[] guideGraph = manifest.guide() == null
                ? null
                : graph(manifest, manifest.guide().onnx());
        long start = System.nanoTime();
        LoadedModel model = LoadedModel.open(engine, manifest, graph, guideGraph);
        opened.add(model);
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

    private void reject(String name, String version, ModelRejectedException rejection) {
        String reason = rejection.getMessage();
        meters.counter(
                        "ddpm_sampler_model_rejections_total",
                        "model",
                        name,
                        "check",
                        rejection.getCause() instanceof ManifestSignatureException ? "signature" : "content")
                .increment();
        LOG.warnf("model %s version %s rejected: %s; the current version keeps serving", name, version, reason);
        try {
            events.modelRejections().sendAndWait(new ModelRejected(name, version, reason));
        } catch (RuntimeException e) {
            LOG.warnf("could not announce the rejection of %s %s: %s", name, version, e.getMessage());
        }
    }
}
