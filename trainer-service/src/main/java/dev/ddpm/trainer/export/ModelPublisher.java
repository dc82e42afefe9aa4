package dev.ddpm.trainer.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.diffusion.Denoiser;
import dev.ddpm.core.diffusion.GuidedDenoiser;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.Upload;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.eval.PreviewGrid;
import dev.ddpm.trainer.train.DiffusionNetwork;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Publishes a run's network as a model version: ONNX export (EMA weights by default), a
 * check that ONNX Runtime computes what DJL computes (refused beyond {@link ExportParity#TOLERANCE}),
 * a sample grid rendered by the exported graph itself, then {@code unet.onnx} and {@code samples.png}
 * under {@code ddpm-models/{model}/{version}/}, {@code manifest.json} last, then ModelPublished.
 * With a {@link Guide}, the guide network is exported and checked the same way, published as
 * {@code guide.onnx} and named in the manifest, so the sampler serves the model autoguided.
 * A failure at any point removes what this publish wrote: a reader never sees half a version.
 */
public final class ModelPublisher {

    /** Announces a complete version (ModelPublished on the compacted models topic); throws when it cannot. */
    @FunctionalInterface
    public interface Announcer {
        void announce(ModelPublished event);

        /** ModelPublished on {@code ddpm.models}, waiting for the broker's acknowledgement. */
        static Announcer viaKafka(EventPublisher publisher) {
            return event -> publisher.publishAndWait(CloudEvent.of(publisher.source(), event), Duration.ofSeconds(30));
        }
    }

    /** What to publish: under which name, from which run, and which copy of the weights. */
    public record Request(String modelName, String runId, boolean ema, Map<String, Double> metrics) {
        public Request {
            metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        }
    }

    /**
     * Autoguidance to publish with the model: the guide network (a weaker checkpoint, same diffusion
     * settings and image shape), the run it comes from, and the weight w >= 1.
     */
    public record Guide(DiffusionNetwork network, String runId, double weight) {}

    static final int PROBE_BATCH = 4;
    private static final Logger LOG = Logger.getLogger(ModelPublisher.class);
    private static final DateTimeFormatter VERSION_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final ArtifactStore store;
    private final Announcer announcer;
    private final Clock clock;

    public ModelPublisher(ArtifactStore store, Announcer announcer, Clock clock) {
        this.store = store;
        this.announcer = announcer;
        this.clock = clock;
    }

    /** Exports, verifies and publishes; returns the manifest of the new version. */
    public ModelManifest publish(DiffusionNetwork network, Request request) {
        return publish(network, null, request);
    }

    /** As {@link #publish(DiffusionNetwork, Request)}, with the guide (null for none) published beside the model. */
    public ModelManifest publish(DiffusionNetwork network, Guide guide, Request request) {
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
        try (OnnxRuntimeDenoiser onnx = new OnnxRuntimeDenoiser(export.bytes(), c, size, size);
                OnnxRuntimeDenoiser guideOnnx =
                        guideExport == null ? null : new OnnxRuntimeDenoiser(guideExport.bytes(), c, size, size)) {
            Denoiser denoiser = guide == null ? onnx : new GuidedDenoiser(onnx, guideOnnx, guide.weight());
            grid = PreviewGrid.png(denoiser, network.diffusion(), c, size);
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
                        null));
        try {
            announcer.announce(
                    new ModelPublished(request.modelName(), version, manifestRef.key(), manifestRef.sha256()));
        } catch (RuntimeException e) {
            // Not announced means not published: remove the manifest first, so no reader finds it half-gone.
            for (String name : List.of("manifest.json", "unet.onnx", "samples.png", "guide.onnx")) {
                try {
                    store.delete(Buckets.MODELS, prefix + name);
                } catch (RuntimeException cleanup) {
                    LOG.warnf(
                            "could not remove %s%s after a failed announcement: %s",
                            prefix, name, cleanup.getMessage());
                }
            }
            throw new InvalidExportException(
                    "model " + request.modelName() + " version " + version + " was not announced (" + e.getMessage()
                            + "); its files were removed",
                    e);
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
        return manifest[0];
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
