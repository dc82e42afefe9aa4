package dev.ddpm.trainer.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.ddpm.trainer.data.ImageSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.ddpm.trainer.train.TinyRun.meanDifference;
import static dev.ddpm.trainer.train.TinyRun.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A step whose loss or gradient is not finite is dropped without a trace: the weights, the
 * optimizer and the gradients it leaves behind are as before it, so the finite steps after it
 * train normally; only a run of such steps ends the run.
 */
class NonFiniteStepTest {

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    /** The patterns with every pixel NaN: a loss and a gradient that are NaN on any weights. */
    private static final ImageSet POISONED = new ImageSet() {
        @Override
        public int size() {
            return TinyRun.DATA.size();
        }

        @Override
        public int channels() {
            return TinyRun.DATA.channels();
        }

        @Override
        public int imageSize() {
            return TinyRun.DATA.imageSize();
        }

        @Override
        public float[] image(int index) {
            float[] image = new float[TinyRun.DATA.image(index).length];
            Arrays.fill(image, Float.NaN);
            return image;
        }
    };

    @Test
    void aDroppedStepLeavesNothingBehindForTheNextOne() {
        try (DiffusionTrainer trainer = new DiffusionTrainer(TinyRun.settings(), Device.cpu())) {
            Map<String, float[]> initial = values(trainer.network().parameters());

            assertThat(trainer.trainStep(POISONED)).isNaN();
            assertThat(trainer.skippedSteps()).isEqualTo(1);
            assertThat(meanDifference(initial, values(trainer.network().parameters())))
                    .as("weights after a dropped step")
                    .isZero();
            // Whatever the dropped step let go of is collected now and its memory handed out again,
            // filled with NaN: gradients that still pointed there would poison the next steps.
            List<NDArray> reused = reuseFreedMemory(trainer);

            // The run goes on: within the ten steps a run may drop in a row, updates are kept again.
            // (Not necessarily the very next one: the dropped step's NaN intermediates were freed into
            // memory that kernels may reuse before writing all of it.) A gradient still pointing at
            // freed memory would make every later step non-finite and end the run here.
            long keptAfter = 0;
            for (int i = 0; i < 12; i++) {
                long before = trainer.skippedSteps();
                float loss = trainer.trainStep(TinyRun.DATA);
                if (trainer.skippedSteps() == before && Float.isFinite(loss)) {
                    keptAfter++;
                }
            }
            assertThat(keptAfter).as("clean steps kept after a dropped one").isGreaterThanOrEqualTo(3);
            Map<String, float[]> after = values(trainer.network().parameters());
            assertThat(after.values()).allSatisfy(w -> {
                for (float v : w) {
                    assertThat(v).isFinite();
                }
            });
            assertThat(meanDifference(initial, after)).isGreaterThan(1e-5);
            reused.forEach(NDArray::close);
        }
    }

    /**
     * Collects garbage, then allocates NaN-filled native arrays of every gradient's size (glibc reuses same-sized
     * chunks).
     */
    private static List<NDArray> reuseFreedMemory(DiffusionTrainer trainer) {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(100); // the Cleaner thread frees direct buffers after the collection
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<NDArray> arrays = new ArrayList<>();
        for (int copy = 0; copy < 2; copy++) {
            trainer.network().parameters().values().forEach(p -> {
                float[] nan = new float[Math.toIntExact(p.getArray().size())];
                Arrays.fill(nan, Float.NaN);
                NDArray array = trainer.network().manager().create(nan);
                NDScope.unregister(array);
                arrays.add(array);
            });
        }
        return arrays;
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
