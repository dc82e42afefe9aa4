package dev.ddpm.trainer.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.diffusion.Denoiser;
import dev.ddpm.core.diffusion.GuidedDenoiser;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.ModelEvaluated;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.lifecycle.Evaluation;
import dev.ddpm.core.lifecycle.LifecycleException;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.lifecycle.ModelPolicy;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.signing.ManifestSigner;
import dev.ddpm.core.signing.ManifestVerifier;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.Upload;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.eval.PreviewGrid;
import dev.ddpm.trainer.train.DiffusionNetwork;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Publishes a run's network as a model version: ONNX export (EMA weights by default), a
 * check that ONNX Runtime computes what DJL computes (refused beyond {@link ExportParity#TOLERANCE}),
 * a sample grid rendered by the exported graph itself, then {@code unet.onnx} and {@code samples.png}
 * under {@code ddpm-models/{model}/{version}/}, {@code manifest.json} last (its signature,
 * {@code manifest.json.sig}, just before it: samplers load only signed versions), then ModelPublished.
 * With a {@link Guide}, the guide network is exported and checked the same way, published as
 * {@code guide.onnx} and named in the manifest, so the sampler serves the model autoguided.
 * A failure at any point removes what this publish wrote: a reader never sees half a version.
 *
 * <p>With a {@link ModelLifecycle}, a published version becomes the model's candidate (its first
 * version: production). Given a {@link Gate} (a run's final export), the exported graph is first
 * compared with the production version, the verdict recorded in the manifest ({@code evaluation}),
 * and after publication the version is promoted when it passed under an {@code auto} policy; the
 * verdict is announced as ModelEvaluated. Nothing after the announcement fails the publish: the
 * version stays, a candidate an operator can promote.
 */
public final class ModelPublisher {

    /** Announces a complete version (ModelPublished on the compacted models topic); throws when it cannot. */
    @FunctionalInterface
    public interface Announcer {
        void announce(ModelPublished event);

        /** ModelPublished on {@code ddpm.models}, waiting for the broker's acknowledgement. */
        static Announcer viaKafka(EventPublisher publisher) {
            return event -> publisher.publishAndWait(CloudEvent.of(publisher.source(), event));
        }
    }

    /**
     * What to publish: under which name, from which run, and which copy of the weights.
     *
     * @param owner the API key id that asked for the run, recorded as the model's owner when it has none
     *              (null: none)
     */
    public record Request(String modelName, String runId, boolean ema, Map<String, Double> metrics, String owner) {
        public Request {
            metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        }

        public Request(String modelName, String runId, boolean ema, Map<String, Double> metrics) {
            this(modelName, runId, ema, metrics, null);
        }
    }

    /** Compares an exported candidate with the model's production version before its manifest is written. */
    @FunctionalInterface
    public interface Gate {
        /**
         * The verdict on {@code candidate} (the exported graph, sampled with {@code diffusion}) against
         * {@code productionVersion} of {@code model}, allowing {@code margin}.
         *
         * @throws RuntimeException when the comparison cannot be made (the candidate then stays a
         *     candidate, with the reason)
         */
        Evaluation evaluate(
                String model,
                String productionVersion,
                double margin,
                Denoiser candidate,
                DiffusionConfig diffusion,
                ModelManifest.Image image);
    }

    /**
     * Autoguidance to publish with the model: the guide network (a weaker checkpoint, same diffusion
     * settings and image shape), the run it comes from, and the weight w >= 1.
     */
    public record Guide(DiffusionNetwork network, String runId, double weight) {}

    static final int PROBE_BATCH = 4;
    /** The actor the model's alias history records for what the trainer does. */
    static final String ACTOR = "trainer";

    private static final Logger LOG = Logger.getLogger(ModelPublisher.class);
    private static final DateTimeFormatter VERSION_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final ArtifactStore store;
    private final ManifestSigner signer;
    private final Announcer announcer;
    private final ModelLifecycle lifecycle;
    private final ModelLifecycle.Announcer evaluations;
    private final Clock clock;

    /** A publisher that only announces versions: no aliases are kept and no gate runs. */
    public ModelPublisher(ArtifactStore store, ManifestSigner signer, Announcer announcer, Clock clock) {
        this(store, signer, announcer, null, null, clock);
    }

    /**
     * @param signer      signs each manifest (the trainer's key, which samplers trust)
     * @param lifecycle   keeps the model's aliases: a published version becomes its candidate
     * @param evaluations announces the gate's verdicts (ModelEvaluated on {@code ddpm.training-events})
     */
    public ModelPublisher(
            ArtifactStore store,
            ManifestSigner signer,
            Announcer announcer,
            ModelLifecycle lifecycle,
            ModelLifecycle.Announcer evaluations,
            Clock clock) {
        this.store = store;
        this.signer = signer;
        this.announcer = announcer;
        this.lifecycle = lifecycle;
        this.evaluations = evaluations;
        this.clock = clock;
    }

    /** Checks that a manifest was signed by this publisher's key (before the trainer loads a published graph). */
    public ManifestVerifier ownSignatures() {
        return signer.verifier();
    }

    /** Exports, verifies and publishes; returns the manifest of the new version. */
    public ModelManifest publish(DiffusionNetwork network, Request request) {
        return publish(network, null, request);
    }

    /** As {@link #publish(DiffusionNetwork, Request)}, with the guide (null for none) published beside the model. */
    public ModelManifest publish(DiffusionNetwork network, Guide guide, Request request) {
        return publish(network, guide, request, null);
    }

    /**
     * As {@link #publish(DiffusionNetwork, Guide, Request)}, passing the version through {@code gate}
     * (null: none, the version is a candidate only) when this publisher keeps aliases.
     */
    public ModelManifest publish(DiffusionNetwork network, Guide guide, Request request, Gate gate) {
        if (guide != null) {
            checkGuide(network, guide);
        }
        UNetConfig architecture = network.architecture();
        int c = architecture.imageChannels();
        int size = architecture.imageSize();
        long step = network.step();
        Instant now = clock.instant();
        String version = unusedVersion(request.modelName(), VERSION_TIME.format(now) + "-s" + step);
        Map<String, String> metadata = Map.of(
                "ddpm.model",
                request.modelName(),
                "ddpm.version",
                version,
                "ddpm.run",
                request.runId(),
                "ddpm.step",
                Long.toString(step),
                "ddpm.ema",
                Boolean.toString(request.ema()));

        // Export and check with the same weights in the model.
        Export export = export(network, request.ema(), metadata);
        Export guideExport = guide == null ? null : exportGuide(guide, request.ema(), metadata);
        byte[] grid;
        Evaluation evaluation = null;
        try (OnnxRuntimeDenoiser onnx = new OnnxRuntimeDenoiser(export.bytes(), c, size, size);
                OnnxRuntimeDenoiser guideOnnx =
                        guideExport == null ? null : new OnnxRuntimeDenoiser(guideExport.bytes(), c, size, size)) {
            Denoiser denoiser = guide == null ? onnx : new GuidedDenoiser(onnx, guideOnnx, guide.weight());
            grid = PreviewGrid.png(denoiser, network.diffusion(), c, size);
            if (gate != null && lifecycle != null) {
                ModelManifest.Image image = new ModelManifest.Image(c, size, size);
                evaluation = evaluate(gate, request.modelName(), denoiser, network.diffusion(), image);
            }
        }

        String prefix = request.modelName() + "/" + version + "/";
        Map<String, Double> metrics = new LinkedHashMap<>(request.metrics());
        metrics.put("onnx_parity_max_abs_diff", export.parity());
        metrics.put("parameters", (double) network.unet().parameterCount());
        if (guideExport != null) {
            metrics.put("guide_onnx_parity_max_abs_diff", guideExport.parity());
        }
        List<Upload> uploads = new ArrayList<>(List.of(
                new Upload.Bytes(prefix + "unet.onnx", export.bytes(), "application/octet-stream"),
                new Upload.Bytes(prefix + "samples.png", grid, "image/png")));
        if (guideExport != null) {
            uploads.add(new Upload.Bytes(prefix + "guide.onnx", guideExport.bytes(), "application/octet-stream"));
        }
        JsonNode recipe = recipe(request.runId());
        Evaluation verdict = evaluation;
        ModelManifest[] manifest = new ModelManifest[1];
        ObjectRef manifestRef = store.writeThenPoint(
                Buckets.MODELS,
                uploads,
                prefix + "manifest.json",
                refs -> manifest[0] = new ModelManifest(
                        ModelManifest.CURRENT_SCHEMA,
                        request.modelName(),
                        version,
                        now,
                        new ModelManifest.Training(request.runId(), step, request.ema(), recipe),
                        onnx(refs.get(0), architecture),
                        new ModelManifest.Image(c, size, size),
                        network.diffusion(),
                        architecture,
                        metrics,
                        guide == null
                                ? null
                                : new ModelManifest.Guide(
                                        onnx(refs.get(2), guide.network().architecture()),
                                        new ModelManifest.Training(
                                                guide.runId(), guide.network().step(), request.ema(), null),
                                        guide.weight()),
                        verdict),
                signer);
        try {
            announcer.announce(
                    new ModelPublished(request.modelName(), version, manifestRef.key(), manifestRef.sha256()));
        } catch (RuntimeException e) {
            // Not announced means not published: remove the manifest first, so no reader finds it half-gone.
            for (String name :
                    List.of("manifest.json", "manifest.json.sig", "unet.onnx", "samples.png", "guide.onnx")) {
                try {
                    store.delete(Buckets.MODELS, prefix + name);
                } catch (RuntimeException cleanup) {
                    LOG.warnf(
                            "could not remove %s%s after a failed announcement: %s",
                            prefix, name, cleanup.getMessage());
                }
            }
            String message = "model " + request.modelName() + " version " + version + " was not announced ("
                    + e.getMessage() + "); its files were removed";
            // The broker away is an outage (a later attempt publishes); anything else is this export's fault.
            throw e instanceof MessagingException
                    ? new MessagingException(message, e)
                    : new InvalidExportException(message, e);
        }
        LOG.infof(
                "published model %s version %s (run %s, step %d, %s weights, %,d bytes, parity %.1e)",
                request.modelName(),
                version,
                request.runId(),
                step,
                request.ema() ? "EMA" : "trained",
                export.bytes().length,
                export.parity());
        new CheckpointStore(store).markPublished(request.runId(), step, request.modelName(), version);
        settle(manifest[0], request, evaluation);
        return manifest[0];
    }

    /**
     * The gate's verdict on a candidate; never throws. Without a production version (the model's first)
     * there is nothing to compare: it passes, and publication makes it production. A gate that cannot
     * run gives a verdict that does not pass, with the reason.
     */
    private Evaluation evaluate(
            Gate gate, String model, Denoiser candidate, DiffusionConfig diffusion, ModelManifest.Image image) {
        ModelAliases aliases;
        try {
            aliases = lifecycle.aliases(model);
        } catch (LifecycleException e) {
            aliases = ModelAliases.none(model, null); // no version at all yet
        } catch (RuntimeException e) {
            return notMeasured(null, ModelPolicy.DEFAULT_MARGIN, "the model's aliases could not be read: " + e);
        }
        ModelPolicy policy = aliases.policy();
        Optional<String> production = aliases.production();
        if (production.isEmpty()) {
            return new Evaluation(
                    null,
                    "nothing measured",
                    Map.of(),
                    Map.of(),
                    policy.margin(),
                    true,
                    "the model's first version: there is no production version to compare with");
        }
        Evaluation evaluation;
        try {
            evaluation = gate.evaluate(model, production.get(), policy.margin(), candidate, diffusion, image);
        } catch (RuntimeException e) {
            LOG.warnf(e, "model %s: the quality gate could not compare with production %s", model, production.get());
            return notMeasured(production.get(), policy.margin(), "the quality gate could not run: " + e);
        }
        if (evaluation.passed() && policy.promotion() == ModelPolicy.Promotion.MANUAL) {
            return new Evaluation(
                    evaluation.production(),
                    evaluation.probe(),
                    evaluation.candidateMetrics(),
                    evaluation.productionMetrics(),
                    evaluation.margin(),
                    true,
                    evaluation.reason() + "; kept as candidate: the model's promotion policy is manual");
        }
        return evaluation;
    }

    private static Evaluation notMeasured(String production, double margin, String why) {
        return new Evaluation(production, "nothing measured", Map.of(), Map.of(), margin, false, why);
    }

    /**
     * Records the published version in the model's aliases (candidate, or production for the first) and
     * acts on the verdict: production when it passed under an {@code auto} policy, announced as
     * ModelEvaluated. The version is published whatever happens here: failures are logged.
     */
    private void settle(ModelManifest manifest, Request request, Evaluation evaluation) {
        if (lifecycle == null) {
            return;
        }
        String model = manifest.name();
        String version = manifest.version();
        ModelAliases aliases;
        try {
            aliases = lifecycle.published(model, version, request.owner(), ACTOR);
        } catch (RuntimeException e) {
            LOG.warnf(
                    "model %s version %s is published but not recorded as a candidate (%s); promote it by hand",
                    model, version, e.getMessage());
            return;
        }
        if (evaluation == null) {
            return;
        }
        boolean promoted = false;
        String outcome;
        if (aliases.production().filter(version::equals).isPresent()) {
            promoted = true;
            outcome = "production: the model's first version";
        } else if (evaluation.production() == null) {
            outcome = "kept as candidate: another version became production while it was published; not compared";
        } else if (!evaluation.passed()) {
            outcome = "kept as candidate: " + evaluation.reason();
        } else if (aliases.policy().promotion() == ModelPolicy.Promotion.MANUAL) {
            outcome = "kept as candidate: the model's promotion policy is manual";
        } else {
            try {
                lifecycle.promote(model, version, ACTOR, evaluation.reason());
                promoted = true;
                outcome = "promoted";
            } catch (RuntimeException e) {
                outcome = "kept as candidate: the promotion failed: " + e.getMessage();
            }
        }
        LOG.infof("model %s version %s: %s (%s)", model, version, outcome, evaluation.reason());
        if (evaluations == null) {
            return;
        }
        try {
            evaluations.announce(new ModelEvaluated(request.runId(), model, version, evaluation, promoted, outcome));
        } catch (RuntimeException e) {
            LOG.warnf("ModelEvaluated for model %s version %s was not announced: %s", model, version, e.getMessage());
        }
    }

    /** Two exports of one step in one second (a double click) get distinct versions, never an overwrite. */
    private String unusedVersion(String model, String candidate) {
        String version = candidate;
        for (int n = 2; store.exists(Buckets.MODELS, model + "/" + version + "/manifest.json"); n++) {
            version = candidate + "-" + n;
        }
        return version;
    }

    private record Export(byte[] bytes, double parity) {}

    /**
     * The request the run was trained by, recorded as the model's recipe; absent for a run planned by
     * hand. A stored request that cannot be read (malformed, corrupt, the store failing) is left out
     * with a warning: it must not keep the weights from being served.
     */
    private JsonNode recipe(String runId) {
        try {
            return new CheckpointStore(store).recipe(runId).map(Json::tree).orElse(null);
        } catch (RuntimeException e) {
            LOG.warnf(
                    "run %s: its stored training request is not readable, the manifest goes without it: %s",
                    runId, e.getMessage());
            return null;
        }
    }

    private static ModelManifest.Onnx onnx(ObjectRef ref, UNetConfig architecture) {
        return new ModelManifest.Onnx(
                ref.key(),
                ref.sizeBytes(),
                ref.sha256(),
                UNetOnnxExporter.OPSET,
                UNetOnnxExporter.inputs(architecture),
                UNetOnnxExporter.outputs(architecture));
    }

    /** The network's EMA (or trained) weights exported and checked against DJL. */
    private static Export export(DiffusionNetwork network, boolean ema, Map<String, String> metadata) {
        return ema ? network.withEmaWeights(() -> export(network, metadata)) : export(network, metadata);
    }

    /** The guide must predict the same thing for the same images, and the weight must extrapolate. */
    private static void checkGuide(DiffusionNetwork model, Guide guide) {
        UNetConfig a = model.architecture();
        UNetConfig g = guide.network().architecture();
        if (!guide.network().diffusion().equals(model.diffusion())
                || g.imageChannels() != a.imageChannels()
                || g.imageSize() != a.imageSize()) {
            throw new InvalidExportException("the guide (run " + guide.runId() + ", step "
                    + guide.network().step()
                    + ") must share the model's diffusion settings and image shape; nothing published");
        }
        // The manifest's own bound, checked before anything is exported rather than when the manifest is built.
        if (!(guide.weight() >= 1 && guide.weight() <= ModelManifest.Guide.MAX_WEIGHT)) {
            throw new InvalidExportException("the guidance weight must be in [1, " + ModelManifest.Guide.MAX_WEIGHT
                    + "], was " + guide.weight() + "; nothing published");
        }
    }

    private static Export exportGuide(Guide guide, boolean ema, Map<String, String> metadata) {
        Map<String, String> guideMetadata = new LinkedHashMap<>(metadata);
        guideMetadata.put("ddpm.role", "autoguidance guide");
        guideMetadata.put("ddpm.run", guide.runId());
        guideMetadata.put("ddpm.step", Long.toString(guide.network().step()));
        return export(guide.network(), ema, guideMetadata);
    }

    private static Export export(DiffusionNetwork network, Map<String, String> metadata) {
        UNetConfig a = network.architecture();
        byte[] bytes = UNetOnnxExporter.export(network.unet(), network.diffusion(), metadata);
        double parity;
        try (OnnxRuntimeDenoiser onnx =
                new OnnxRuntimeDenoiser(bytes, a.imageChannels(), a.imageSize(), a.imageSize())) {
            parity = ExportParity.maxAbsDifference(
                    onnx,
                    network.denoiser(),
                    PROBE_BATCH,
                    a.imageChannels() * a.imageSize() * a.imageSize(),
                    network.diffusion().timesteps(),
                    1);
        }
        if (!(parity <= ExportParity.TOLERANCE)) {
            throw new InvalidExportException(String.format(
                    "the exported graph disagrees with the trained network: max |ONNX - DJL| = %.3e > %.0e; nothing published",
                    parity, ExportParity.TOLERANCE));
        }
        return new Export(bytes, parity);
    }
}
