package dev.ddpm.trainer.export;

import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.events.ObjectRef;
import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.model.ModelManifest;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.Upload;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.trainer.train.DiffusionTrainer;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Publishes the network in a trainer as a model version: ONNX export (EMA weights by default), a
 * check that ONNX Runtime computes what DJL computes (refused beyond {@link ExportParity#TOLERANCE}),
 * a sample grid rendered by the exported graph itself, then {@code unet.onnx} and {@code samples.png}
 * under {@code ddpm-models/{model}/{version}/}, {@code manifest.json} last, then ModelPublished.
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

    static final int GRID_IMAGES = 16;
    static final long GRID_SEED = 20200619L;
    static final int PROBE_BATCH = 4;
    private static final Logger LOG = Logger.getLogger(ModelPublisher.class);
    private static final DateTimeFormatter VERSION_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
            .withZone(ZoneOffset.UTC);

    private final ArtifactStore store;
    private final Announcer announcer;
    private final Clock clock;

    public ModelPublisher(ArtifactStore store, Announcer announcer, Clock clock) {
        this.store = store;
        this.announcer = announcer;
        this.clock = clock;
    }

    /** Exports, verifies and publishes; returns the manifest of the new version. */
    public ModelManifest publish(DiffusionTrainer trainer, Request request) {
        UNetConfig architecture = trainer.settings().architecture();
        int c = architecture.imageChannels();
        int size = architecture.imageSize();
        long step = trainer.step();
        Instant now = clock.instant();
        String version = unusedVersion(request.modelName(), VERSION_TIME.format(now) + "-s" + step);
        Map<String, String> metadata = Map.of("ddpm.model", request.modelName(), "ddpm.version", version,
                "ddpm.run", request.runId(), "ddpm.step", Long.toString(step), "ddpm.ema", Boolean.toString(request.ema()));

        // Export and check with the same weights in the model.
        Export export = request.ema() ? trainer.withEmaWeights(() -> export(trainer, metadata)) : export(trainer, metadata);
        byte[] grid;
        try (OnnxRuntimeDenoiser onnx = new OnnxRuntimeDenoiser(export.bytes(), c, size, size)) {
            float[][] samples = ReverseProcess.sample(onnx, () -> Schedulers.create(trainer.settings().diffusion(),
                    SamplerKind.DDIM, 50, 0.0, DdpmVariance.FIXED_SMALL, true), GRID_IMAGES, c * size * size, GRID_SEED, 0);
            grid = ImageEncoding.png(ImageEncoding.grid(List.of(samples), c, size, 4, 2));
        }

        String prefix = request.modelName() + "/" + version + "/";
        Map<String, Double> metrics = new LinkedHashMap<>(request.metrics());
        metrics.put("onnx_parity_max_abs_diff", export.parity());
        metrics.put("parameters", (double) trainer.unet().parameterCount());
        ModelManifest[] manifest = new ModelManifest[1];
        ObjectRef manifestRef = store.writeThenPoint(Buckets.MODELS, List.of(
                        new Upload.Bytes(prefix + "unet.onnx", export.bytes(), "application/octet-stream"),
                        new Upload.Bytes(prefix + "samples.png", grid, "image/png")),
                prefix + "manifest.json", refs -> manifest[0] = new ModelManifest(ModelManifest.CURRENT_SCHEMA,
                        request.modelName(), version, now, new ModelManifest.Training(request.runId(), step, request.ema()),
                        new ModelManifest.Onnx(refs.get(0).key(), refs.get(0).sizeBytes(), refs.get(0).sha256(),
                                UNetOnnxExporter.OPSET, UNetOnnxExporter.inputs(architecture),
                                UNetOnnxExporter.outputs(architecture)),
                        new ModelManifest.Image(c, size, size), trainer.settings().diffusion(), architecture, metrics));
        try {
            announcer.announce(new ModelPublished(request.modelName(), version, manifestRef.key(), manifestRef.sha256()));
        } catch (RuntimeException e) {
            // Not announced means not published: remove the manifest first, so no reader finds it half-gone.
            for (String name : List.of("manifest.json", "unet.onnx", "samples.png")) {
                try {
                    store.delete(Buckets.MODELS, prefix + name);
                } catch (RuntimeException cleanup) {
                    LOG.warnf("could not remove %s%s after a failed announcement: %s", prefix, name, cleanup.getMessage());
                }
            }
            throw new InvalidExportException("model " + request.modelName() + " version " + version
                    + " was not announced (" + e.getMessage() + "); its files were removed", e);
        }
        LOG.infof("published model %s version %s (run %s, step %d, %s weights, %,d bytes, parity %.1e)",
                request.modelName(), version, request.runId(), step, request.ema() ? "EMA" : "trained",
                export.bytes().length, export.parity());
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

    private record Export(byte[] bytes, double parity) {
    }

    private static Export export(DiffusionTrainer trainer, Map<String, String> metadata) {
        UNetConfig a = trainer.settings().architecture();
        byte[] bytes = UNetOnnxExporter.export(trainer.unet(), trainer.settings().diffusion(), metadata);
        double parity;
        try (OnnxRuntimeDenoiser onnx = new OnnxRuntimeDenoiser(bytes, a.imageChannels(), a.imageSize(), a.imageSize())) {
            parity = ExportParity.maxAbsDifference(onnx, trainer.denoiser(), PROBE_BATCH,
                    a.imageChannels() * a.imageSize() * a.imageSize(), trainer.settings().diffusion().timesteps(), 1);
        }
        if (!(parity <= ExportParity.TOLERANCE)) {
            throw new InvalidExportException(String.format(
                    "the exported graph disagrees with the trained network: max |ONNX - DJL| = %.3e > %.0e; nothing published",
                    parity, ExportParity.TOLERANCE));
        }
        return new Export(bytes, parity);
    }
}
