package dev.ddpm.trainer.train;

import ai.djl.Device;
import dev.ddpm.trainer.data.ImageSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static dev.ddpm.trainer.train.TinyRun.meanDifference;
import static dev.ddpm.trainer.train.TinyRun.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A step whose loss or gradient is not finite is dropped without a trace: the weights, the
 * optimizer and the gradients it leaves behind are as before it, so the next finite step trains
 * normally; only a run of such steps ends the run.
 */
class NonFiniteStepTest {

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    /** The patterns with every pixel NaN: a loss and a gradient that are NaN on any weights. */
    private static final ImageSet POISONED = new ImageSet() {
        @Override public int size() { return TinyRun.DATA.size(); }
        @Override public int channels() { return TinyRun.DATA.channels(); }
        @Override public int imageSize() { return TinyRun.DATA.imageSize(); }
        @Override public float[] image(int index) {
            float[] image = new float[TinyRun.DATA.image(index).length];
            Arrays.fill(image, Float.NaN);
            return image;
        }
    };

    @Test
    void aDroppedStepLeavesNothingBehindForTheNextOne() {
        try (DiffusionTrainer trainer = new DiffusionTrainer(TinyRun.settings(), Device.cpu())) {
            Map<String, float[]> initial = values(trainer.parameters());

            assertThat(trainer.trainStep(POISONED)).isNaN();
            assertThat(trainer.skippedSteps()).isEqualTo(1);
            assertThat(meanDifference(initial, values(trainer.parameters()))).as("weights after a dropped step")
                    .isZero();

            for (int i = 0; i < 3; i++) {
                assertThat(trainer.trainStep(TinyRun.DATA)).as("loss of clean step %d", i + 1).isFinite();
            }
            assertThat(trainer.skippedSteps()).as("clean steps after a dropped one are kept").isEqualTo(1);
            Map<String, float[]> after = values(trainer.parameters());
            assertThat(after.values()).allSatisfy(w -> {
                for (float v : w) {
                    assertThat(v).isFinite();
                }
            });
            assertThat(meanDifference(initial, after)).isGreaterThan(1e-5);
        }
    }

    @Test
    void tenDroppedStepsInARowEndTheRunWithAMessage() {
        try (DiffusionTrainer trainer = new DiffusionTrainer(TinyRun.settings(), Device.cpu())) {
            for (int i = 0; i < 9; i++) {
                trainer.trainStep(POISONED);
            }
            assertThatThrownBy(() -> trainer.trainStep(POISONED))
                    .isInstanceOf(TrainingDivergedException.class)
                    .hasMessageContaining("not finite for 10 steps in a row at step 10")
                    .hasMessageMatching("(?s).*not finite in \\d+ of \\d+ gradients: [^;]+weight.*");
        }
    }
}
