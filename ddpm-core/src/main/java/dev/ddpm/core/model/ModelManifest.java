package dev.ddpm.core.model;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code ddpm-models/{name}/{version}/manifest.json}: everything a sampler needs to serve a model,
 * written last, after the ONNX file it names (whose sha256 it carries).
 *
 * @param schemaVersion manifest format version (this record: 1)
 * @param name          model name (safe object-key name)
 * @param version       model version (safe object-key name, e.g. a timestamp or step)
 * @param createdAt     when the export ran
 * @param training      which run and step produced the weights
 * @param onnx          the graph file and its interface
 * @param image         image geometry the model works on
 * @param diffusion     diffusion settings the model was trained with
 * @param architecture  UNet settings
 * @param metrics       quality metrics measured at export (name to value)
 */
public record ModelManifest(
        int schemaVersion,
        String name,
        String version,
        Instant createdAt,
        Training training,
        Onnx onnx,
        Image image,
        DiffusionConfig diffusion,
        UNetConfig architecture,
        @OptionalField Map<String, Double> metrics) {

    public static final int CURRENT_SCHEMA = 1;

    public ModelManifest {
        Require.atLeast(schemaVersion, 1, "schemaVersion");
        Require.safeName(name, "name");
        Require.safeName(version, "version");
        Require.nonNull(createdAt, "createdAt");
        Require.nonNull(training, "training");
        Require.nonNull(onnx, "onnx");
        Require.nonNull(image, "image");
        Require.nonNull(diffusion, "diffusion");
        Require.nonNull(architecture, "architecture");
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }

    /** Training run and step of the exported weights; {@code ema} tells whether they are the EMA copy. */
    public record Training(String runId, long step, boolean ema) {
        public Training {
            Require.safeName(runId, "runId");
            Require.atLeast(step, 0, "step");
        }
    }

    /** The ONNX file: object key in the models bucket, size, sha256, opset and interface. */
    public record Onnx(String key, long sizeBytes, String sha256, int opset,
                       List<TensorSpec> inputs, List<TensorSpec> outputs) {
        public Onnx {
            Require.nonBlank(key, "key");
            Require.atLeast(sizeBytes, 1, "sizeBytes");
            Require.sha256Hex(sha256, "sha256");
            Require.atLeast(opset, 1, "opset");
            Require.nonNull(inputs, "inputs");
            Require.nonNull(outputs, "outputs");
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }
    }

    public record Image(int channels, int height, int width) {
        public Image {
            Require.atLeast(channels, 1, "channels");
            Require.atLeast(height, 1, "height");
            Require.atLeast(width, 1, "width");
        }
    }
}
