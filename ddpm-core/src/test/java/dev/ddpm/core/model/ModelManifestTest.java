package dev.ddpm.core.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.SamplePayloads;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelManifestTest {

    static ModelManifest manifest() {
        return new ModelManifest(
                ModelManifest.CURRENT_SCHEMA,
                "emoji",
                "20261128-0001",
                Instant.parse("2026-11-28T10:15:30.123Z"),
                new ModelManifest.Training("run-0001", 20_000, true, null),
                new ModelManifest.Onnx(
                        "emoji/20261128-0001/unet.onnx",
                        3_400_000,
                        SamplePayloads.SHA,
                        17,
                        List.of(
                                new TensorSpec("x", "float32", List.of("N", "3", "32", "32")),
                                new TensorSpec("t", "int64", List.of("N"))),
                        List.of(new TensorSpec("out", "float32", List.of("N", "3", "32", "32")))),
                new ModelManifest.Image(3, 32, 32),
                DiffusionConfig.ho2020(),
                UNetConfig.builder()
                        .imageChannels(3)
                        .imageSize(32)
                        .baseChannels(64)
                        .channelMultipliers(List.of(1, 2, 4, 4))
                        .attentionResolutions(List.of(16, 8))
                        .resBlocksPerLevel(2)
                        .groups(32)
                        .dropout(0.1)
                        .build(),
                Map.of("fid_proxy", 41.5, "parity_max_abs_diff", 2.1e-6),
                null,
                null);
    }

    @Test
    void roundTrips() {
        ModelManifest manifest = manifest();
        assertThat(Json.read(Json.write(manifest), ModelManifest.class)).isEqualTo(manifest);
    }

    @Test
    void documentedFieldNamesAreStable() {
        var tree = Json.tree(manifest());
        assertThat(tree.get("diffusion").get("schedule").asText()).isEqualTo("linear");
        assertThat(tree.get("diffusion").get("predictionType").asText()).isEqualTo("epsilon");
        assertThat(tree.get("onnx").get("sha256").asText()).isEqualTo(SamplePayloads.SHA);
        assertThat(tree.get("createdAt").asText()).isEqualTo("2026-11-28T10:15:30.123Z");
    }

    @Test
    void diffusionDefaultsFollowThePapers() {
        var config = new DiffusionConfig(1000, BetaSchedule.COSINE, null, null, null, null, PredictionType.EPSILON);
        assertThat(config.betaStart()).isEqualTo(1e-4);
        assertThat(config.betaEnd()).isEqualTo(0.02);
        assertThat(config.cosineOffset()).isEqualTo(0.008);
        assertThat(config.maxBeta()).isEqualTo(0.999);
    }

    @Test
    void missingNestedFieldIsRefusedWithItsPath() {
        ObjectNode tree = (ObjectNode) Json.tree(manifest());
        ((ObjectNode) tree.get("onnx")).remove("sha256");

        assertThatThrownBy(() -> Json.read(tree, ModelManifest.class))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessage("ModelManifest: field 'onnx.sha256' is missing");
    }

    @Test
    void missingFieldInsideAListIsRefusedWithItsIndex() {
        ObjectNode tree = (ObjectNode) Json.tree(manifest());
        ((ObjectNode) tree.get("onnx").get("inputs").get(1)).remove("shape");

        assertThatThrownBy(() -> Json.read(tree, ModelManifest.class))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessage("ModelManifest: field 'onnx.inputs[1].shape' is missing");
    }

    @Test
    void malformedShaIsRefused() {
        ObjectNode tree = (ObjectNode) Json.tree(manifest());
        ((ObjectNode) tree.get("onnx")).put("sha256", "abc");

        assertThatThrownBy(() -> Json.read(tree, ModelManifest.class))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("field 'onnx.sha256' must be 64 lower-case hex digits");
    }

    static ModelManifest guided(double weight) {
        ModelManifest m = manifest();
        ModelManifest.Onnx guide = new ModelManifest.Onnx(
                "emoji/20261128-0001/guide.onnx",
                3_400_000,
                SamplePayloads.SHA,
                17,
                m.onnx().inputs(),
                m.onnx().outputs());
        return new ModelManifest(
                m.schemaVersion(),
                m.name(),
                m.version(),
                m.createdAt(),
                m.training(),
                m.onnx(),
                m.image(),
                m.diffusion(),
                m.architecture(),
                m.metrics(),
                new ModelManifest.Guide(guide, new ModelManifest.Training("run-0001", 2_000, true, null), weight),
                null);
    }

    @Test
    void aGuideIsOptionalAndRoundTrips() {
        var plain = Json.tree(manifest());
        assertThat(plain.get("guide") == null || plain.get("guide").isNull()).isTrue();
        ObjectNode older = (ObjectNode) plain;
        older.remove("guide");
        assertThat(Json.read(older, ModelManifest.class).guide()).isNull();
        ModelManifest guided = guided(2);
        assertThat(Json.read(Json.write(guided), ModelManifest.class)).isEqualTo(guided);
        assertThat(Json.tree(guided).get("guide").get("weight").asDouble()).isEqualTo(2.0);
        assertThat(Json.tree(guided).get("guide").get("training").get("step").asLong())
                .isEqualTo(2_000);
    }

    @Test
    void aGuideMustExtrapolateAndShareTheModelsInterface() {
        ObjectNode weak = (ObjectNode) Json.tree(guided(2));
        ((ObjectNode) weak.get("guide")).put("weight", 0.5);
        assertThatThrownBy(() -> Json.read(weak, ModelManifest.class))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("field 'guide.weight' must be in [1.0, 100.0], was 0.5");

        ObjectNode otherShape = (ObjectNode) Json.tree(guided(2));
        ((com.fasterxml.jackson.databind.node.ArrayNode)
                        otherShape.get("guide").get("onnx").get("inputs").get(0).get("shape"))
                .set(1, "1");
        assertThatThrownBy(() -> Json.read(otherShape, ModelManifest.class))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("field 'guide.onnx' must have the model's inputs and outputs");
    }

    @Test
    void groupsMustDivideChannels() {
        assertThatThrownBy(
                        () -> UNetConfig.builder().baseChannels(64).groups(24).build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'groups' (24) must divide 'baseChannels' (64)");
    }
}
