package dev.ddpm.core.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.lifecycle.Evaluation;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.TensorSpec;
import dev.ddpm.core.model.UNetConfig;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
 * @param guide         optional autoguidance: a weaker network to sample with (absent: the model alone)
 * @param evaluation    the quality gate's comparison with the production version at publication
 *                      (absent: not evaluated, e.g. an export by hand)
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
        @OptionalField Map<String, Double> metrics,
        @OptionalField Guide guide,
        @OptionalField Evaluation evaluation) {

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
        if (guide != null
                && !(guide.onnx().inputs().equals(onnx.inputs())
                        && guide.onnx().outputs().equals(onnx.outputs()))) {
            throw new InvalidPayloadException(
                    "field 'guide.onnx' must have the model's inputs and outputs: the guide "
                            + "sees the same x and t and predicts the same thing",
                    "guide.onnx");
        }
    }

    /**
     * Training run and step of the exported weights; {@code ema} tells whether they are the EMA copy.
     *
     * @param recipe the training request the run was trained by (data set, architecture, diffusion and
     *               optimisation settings), so that a model can be retrained as it was made; absent for
     *               a run planned by hand and for a guide. Kept as the document it was written as, so a
     *               later, stricter {@link TrainingRequest} cannot make an older model's manifest
     *               unreadable: {@link #trainingRequest()} reads it
     */
    public record Training(
            String runId,
            long step,
            boolean ema,
            @OptionalField JsonNode recipe) {
        public Training {
            Require.safeName(runId, "runId");
            Require.atLeast(step, 0, "step");
            // JSON's null binds to a NullNode: absent either way.
            recipe = recipe == null || recipe.isNull() ? null : recipe;
        }

        /** The recipe as a training request; empty when there is none or it no longer reads as one. */
        public Optional<TrainingRequest> trainingRequest() {
            if (recipe == null) {
                return Optional.empty();
            }
            try {
                return Optional.of(Json.read(recipe, TrainingRequest.class));
            } catch (InvalidPayloadException e) {
                return Optional.empty();
            }
        }
    }

    /** The ONNX file: object key in the models bucket, size, sha256, opset and interface. */
    public record Onnx(
            String key, long sizeBytes, String sha256, int opset, List<TensorSpec> inputs, List<TensorSpec> outputs) {
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

    /**
     * Autoguidance (Karras et al. 2024; {@code dev.ddpm.core.diffusion.GuidedDenoiser}): the sampler runs
     * this second, weaker network (e.g. an early checkpoint of the same run) on every step and uses
     * D_0 + weight (D_1 - D_0). Same diffusion settings and image geometry as the model.
     *
     * @param onnx     the guide's graph, same interface as the model's
     * @param training which run and step the guide's weights come from
     * @param weight   w >= 1
     */
    public record Guide(Onnx onnx, Training training, double weight) {
        /** Beyond this a "guide" is no longer guidance but noise amplification; a typo, not a setting. */
        public static final double MAX_WEIGHT = 100;

        public Guide {
            Require.nonNull(onnx, "onnx");
            Require.nonNull(training, "training");
            Require.inRange(weight, 1, MAX_WEIGHT, "weight");
        }
    }

    /** This manifest with the quality gate's evaluation recorded. */
    public ModelManifest withEvaluation(Evaluation value) {
        return new ModelManifest(
                schemaVersion,
                name,
                version,
                createdAt,
                training,
                onnx,
                image,
                diffusion,
                architecture,
                metrics,
                guide,
                value);
    }

    public record Image(int channels, int height, int width) {
        public Image {
            Require.atLeast(channels, 1, "channels");
            Require.atLeast(height, 1, "height");
            Require.atLeast(width, 1, "width");
        }
    }
}
