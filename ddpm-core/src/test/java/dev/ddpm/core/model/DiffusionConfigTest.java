package dev.ddpm.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DiffusionConfigTest {

    @Test
    void whatTheBuilderLeavesUnsetIsThePapersSetting() {
        DiffusionConfig defaults = DiffusionConfig.builder().build();
        assertThat(defaults.timesteps()).isEqualTo(1000);
        assertThat(defaults.schedule()).isEqualTo(BetaSchedule.LINEAR);
        assertThat(defaults.betaStart()).isEqualTo(1e-4);
        assertThat(defaults.betaEnd()).isEqualTo(0.02);
        assertThat(defaults.cosineOffset()).isEqualTo(0.008);
        assertThat(defaults.maxBeta()).isEqualTo(0.999);
        assertThat(defaults.predictionType()).isEqualTo(PredictionType.EPSILON);
        assertThat(DiffusionConfig.ho2020()).isEqualTo(defaults);
    }

    @Test
    void eachSetterSetsItsOwnField() {
        DiffusionConfig config = DiffusionConfig.builder()
                .timesteps(500)
                .schedule(BetaSchedule.COSINE)
                .betaStart(1e-3)
                .betaEnd(0.05)
                .cosineOffset(0.01)
                .maxBeta(0.99)
                .predictionType(PredictionType.V)
                .build();
        assertThat(config)
                .isEqualTo(new DiffusionConfig(500, BetaSchedule.COSINE, 1e-3, 0.05, 0.01, 0.99, PredictionType.V));
    }

    @Test
    void theBuilderIsValidatedByTheRecord() {
        assertThatThrownBy(() -> DiffusionConfig.builder().timesteps(0).build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("field 'timesteps' must be >= 1");
        assertThatThrownBy(() ->
                        DiffusionConfig.builder().betaStart(0.1).betaEnd(0.02).build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'betaStart' (0.1) must not exceed 'betaEnd' (0.02)");
        assertThatThrownBy(() -> DiffusionConfig.builder().predictionType(null).build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'predictionType' is missing");
    }

    @Test
    void itsJsonHasTheRecordsFieldsOnly() {
        DiffusionConfig config = DiffusionConfig.builder()
                .schedule(BetaSchedule.COSINE)
                .predictionType(PredictionType.V)
                .build();
        JsonNode tree = Json.tree(config);
        List<String> names = new ArrayList<>();
        tree.fieldNames().forEachRemaining(names::add);
        assertThat(names)
                .containsExactly(
                        "timesteps", "schedule", "betaStart", "betaEnd", "cosineOffset", "maxBeta", "predictionType");
        assertThat(tree.get("schedule").asText()).isEqualTo("cosine");
        assertThat(tree.get("predictionType").asText()).isEqualTo("v");
        assertThat(Json.read(Json.write(config), DiffusionConfig.class)).isEqualTo(config);
    }
}
