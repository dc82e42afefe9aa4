package dev.ddpm.trainer.service;

import ai.djl.Device;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.run.RunMemoryEstimate;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** What a run may use on this trainer, against what the article at batch 4096 and the tiny presets need. */
class TrainerMemoryTest {

    @Test
    void theArticleAtBatch4096DoesNotFitHereAndTheTinyPresetsDo() {
        long available = TrainerMemory.available(Device.cpu(), Optional.empty());

        assertThat(available).isPositive();
        assertThat(RunMemoryEstimate.of(UNetPresets.byName("article"), 4096).bytes())
                .isGreaterThan(available);
        assertThat(RunMemoryEstimate.of(UNetPresets.withImage(UNetPresets.byName("tiny"), 1, 8), 32)
                        .bytes())
                .isLessThan(available);
        assertThat(RunMemoryEstimate.of(UNetPresets.byName("mnist-28"), 128).bytes())
                .isLessThan(available);
    }

    @Test
    void aConfiguredLimitWinsAndCgroupFilesAreRead() {
        assertThat(TrainerMemory.available(Device.cpu(), Optional.of(8L << 30))).isEqualTo(8L << 30);
        assertThat(TrainerMemory.parseLimit("max\n")).isEmpty();
        assertThat(TrainerMemory.parseLimit("9223372036854771712\n"))
                .as("v1 without a limit")
                .isEmpty();
        assertThat(TrainerMemory.parseLimit("8589934592\n")).contains(8L << 30);
    }
}
