package dev.ddpm.trainer.run;

import ai.djl.Device;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.trainer.model.UNet;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TinyRun;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The memory estimate: its parameter count is the UNet's, and its sizes order runs as they grow. */
class RunMemoryEstimateTest {

    @Test
    void countsTheParametersTheUNetBuilds() {
        DjlEngine.configureOffline(1);
        for (String preset : List.of("tiny", "tiny-colour", "mnist", "mnist-28", "mnist-28w", "colour-32")) {
            UNetConfig architecture = UNetPresets.byName(preset);
            try (DiffusionTrainer trainer = new DiffusionTrainer(
                    TinyRun.settings().toBuilder().architecture(architecture).build(), Device.cpu())) {
                UNet unet = trainer.network().unet();
                assertThat(RunMemoryEstimate.of(architecture, 1).parameters())
                        .as(preset)
                        .isEqualTo(unet.parameterCount());
            }
        }
    }

    @Test
    void theArticleAtBatch4096NeedsHundredsOfGibibytesAndTheTinyPresetsLittle() {
        RunMemoryEstimate article = RunMemoryEstimate.of(UNetPresets.byName("article"), 4096);
        assertThat(article.parameters()).isBetween(25_000_000L, 26_000_000L);
        assertThat(article.bytes()).isBetween(200L << 30, 800L << 30);
        assertThat(RunMemoryEstimate.of(UNetPresets.byName("tiny"), 32).bytes()).isLessThan(256L << 20);
        assertThat(RunMemoryEstimate.of(UNetPresets.byName("mnist-28"), 128).bytes())
                .isLessThan(2L << 30);
    }

    @Test
    void activationsGrowWithTheBatchAndAttentionWithTheSquareOfItsPositions() {
        UNetConfig tiny = UNetPresets.byName("tiny");
        RunMemoryEstimate one = RunMemoryEstimate.of(tiny, 1);
        RunMemoryEstimate many = RunMemoryEstimate.of(tiny, 1001);
        long perImage = (many.bytes() - one.bytes()) / 1000;
        assertThat(perImage).isPositive();
        // Attention at 16x16 instead of 8x8: 256^2 instead of 64^2 scores per image, besides its block.
        RunMemoryEstimate wider = RunMemoryEstimate.of(
                tiny.toBuilder().attentionResolutions(List.of(16)).build(), 1);
        assertThat(wider.bytes() - one.bytes()).isGreaterThan(2L * (256L * 256 - 64 * 64) * 4);
    }

    @Test
    void humanSizes() {
        assertThat(RunMemoryEstimate.human(412L << 30)).isEqualTo("412 GiB");
        assertThat(RunMemoryEstimate.human((long) (7.8 * (1L << 30)))).isEqualTo("7.8 GiB");
        assertThat(RunMemoryEstimate.human(300L << 20)).isEqualTo("300 MiB");
    }
}
