package dev.ddpm.trainer.model;

import dev.ddpm.core.model.UNetConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The presets' architectures, field by field in the record's order: trained models depend on them. */
class UNetPresetsTest {

    @Test
    void eachPresetIsItsArchitecture() {
        assertThat(UNetPresets.names())
                .containsExactly("article", "colour-32", "mnist", "mnist-28", "mnist-28w", "tiny", "tiny-colour");
        assertThat(UNetPresets.byName("tiny"))
                .isEqualTo(new UNetConfig(1, 16, 16, List.of(1, 2), List.of(8), 1, 4, 0.0));
        assertThat(UNetPresets.byName("tiny-colour"))
                .isEqualTo(new UNetConfig(3, 16, 16, List.of(1, 2), List.of(8), 1, 4, 0.0));
        assertThat(UNetPresets.byName("mnist"))
                .isEqualTo(new UNetConfig(1, 32, 32, List.of(1, 2, 2), List.of(16), 2, 8, 0.1));
        assertThat(UNetPresets.byName("mnist-28"))
                .isEqualTo(new UNetConfig(1, 28, 16, List.of(1, 2, 4), List.of(7), 1, 8, 0.0));
        assertThat(UNetPresets.byName("mnist-28w"))
                .isEqualTo(new UNetConfig(1, 28, 16, List.of(1, 2, 6), List.of(7), 1, 8, 0.0));
        assertThat(UNetPresets.byName("colour-32"))
                .isEqualTo(new UNetConfig(3, 32, 16, List.of(1, 2, 4, 4), List.of(16, 8), 1, 8, 0.0));
        assertThat(UNetPresets.byName("article"))
                .isEqualTo(new UNetConfig(3, 32, 64, List.of(1, 2, 4, 4), List.of(16, 8), 2, 32, 0.1));
        assertThatThrownBy(() -> UNetPresets.byName("huge")).hasMessageContaining("unknown preset 'huge'");
    }

    @Test
    void withImageChangesOnlyTheImageGeometry() {
        assertThat(UNetPresets.withImage(UNetPresets.byName("mnist"), 3, 28))
                .isEqualTo(new UNetConfig(3, 28, 32, List.of(1, 2, 2), List.of(16), 2, 8, 0.1));
    }
}
