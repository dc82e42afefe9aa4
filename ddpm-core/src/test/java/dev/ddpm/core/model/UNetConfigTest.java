package dev.ddpm.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UNetConfigTest {

    @Test
    void whatTheBuilderLeavesUnsetIsTheReferenceArticlesArchitecture() {
        UNetConfig defaults = UNetConfig.builder().build();
        assertThat(defaults.imageChannels()).isEqualTo(3);
        assertThat(defaults.imageSize()).isEqualTo(32);
        assertThat(defaults.baseChannels()).isEqualTo(64);
        assertThat(defaults.channelMultipliers()).containsExactly(1, 2, 4, 4);
        assertThat(defaults.attentionResolutions()).containsExactly(16, 8);
        assertThat(defaults.resBlocksPerLevel()).isEqualTo(2);
        assertThat(defaults.groups()).isEqualTo(32);
        assertThat(defaults.dropout()).isEqualTo(0.1);
    }

    @Test
    void eachSetterSetsItsOwnFieldAndToBuilderKeepsTheRest() {
        UNetConfig config = UNetConfig.builder()
                .imageChannels(1)
                .imageSize(28)
                .baseChannels(16)
                .channelMultipliers(List.of(1, 2, 4))
                .attentionResolutions(List.of(7))
                .resBlocksPerLevel(1)
                .groups(8)
                .dropout(0.0)
                .build();
        assertThat(config).isEqualTo(new UNetConfig(1, 28, 16, List.of(1, 2, 4), List.of(7), 1, 8, 0.0));
        assertThat(config.toBuilder().build()).isEqualTo(config);
        assertThat(config.toBuilder().imageChannels(3).imageSize(32).build())
                .isEqualTo(new UNetConfig(3, 32, 16, List.of(1, 2, 4), List.of(7), 1, 8, 0.0));
    }

    @Test
    void theBuilderIsValidatedByTheRecord() {
        assertThatThrownBy(() -> UNetConfig.builder().baseChannels(16).build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'groups' (32) must divide 'baseChannels' (16)");
        assertThatThrownBy(
                        () -> UNetConfig.builder().channelMultipliers(List.of()).build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'channelMultipliers'");
        assertThatThrownBy(() -> UNetConfig.builder().dropout(1.5).build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'dropout'");
    }

    @Test
    void itsJsonHasTheRecordsFieldsOnly() {
        UNetConfig config = UNetConfig.builder().build();
        JsonNode tree = Json.tree(config);
        List<String> names = new ArrayList<>();
        tree.fieldNames().forEachRemaining(names::add);
        assertThat(names)
                .containsExactly(
                        "imageChannels",
                        "imageSize",
                        "baseChannels",
                        "channelMultipliers",
                        "attentionResolutions",
                        "resBlocksPerLevel",
                        "groups",
                        "dropout");
        assertThat(Json.read(Json.write(config), UNetConfig.class)).isEqualTo(config);
    }
}
