package dev.ddpm.trainer.train;

import ai.djl.Device;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

/**
 * Min-SNR-gamma loss weighting (Hang et al. 2023) in the trainer: it applies ddpm-core's weights
 * (ForwardProcessTest checks their values) per sample, on one device and data-parallel alike.
 */
class LossWeightingTest {

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    private static TrainingSettings withGamma(float gamma) {
        return TinyRun.settings().toBuilder().snrGamma(gamma).build();
    }

    @Test
    void gammaMustBeZeroOrPositive() {
        assertThatThrownBy(() -> withGamma(-1)).hasMessageContaining("gamma must be 0 (off) or positive, was -1");
        assertThatThrownBy(() -> withGamma(Float.NaN)).hasMessageContaining("was NaN");
    }

    @Test
    void gammaAboveEverySnrGivesTheSimpleLoss() {
        // The linear schedule's largest SNR is abar_1 / (1 - abar_1) = 0.9999 / 0.0001, about 1e4.
        try (DiffusionTrainer simple = new DiffusionTrainer(withGamma(0), Device.cpu());
                DiffusionTrainer huge = new DiffusionTrainer(withGamma(1e6f), Device.cpu())) {
            float a = simple.trainStep(TinyRun.DATA);
            float b = huge.trainStep(TinyRun.DATA);
            assertThat(b).isCloseTo(a, offset(1e-5f * a));
        }
    }

    @Test
    void minSnrDownWeightsTheNearlyCleanTimestepsOnOneDeviceAndSharded() {
        try (DiffusionTrainer simple = new DiffusionTrainer(withGamma(0), Device.cpu());
                DiffusionTrainer weighted = new DiffusionTrainer(withGamma(5), Device.cpu());
                DiffusionTrainer sharded = new DiffusionTrainer(
                        withGamma(5), new Device.MultiDevice(Device.cpu(), Device.cpu(), Device.cpu()))) {
            float a = simple.trainStep(TinyRun.DATA);
            float b = weighted.trainStep(TinyRun.DATA);
            float c = sharded.trainStep(TinyRun.DATA);
            System.out.printf("first-step loss: simple %.4f, Min-SNR-5 %.4f, Min-SNR-5 in 3 shards %.4f%n", a, b, c);
            // The same batch; about one timestep in eight has SNR > 5 and counts less.
            assertThat(b).as("weighted below the simple loss").isLessThan(a * 0.97f);
            assertThat(c)
                    .as("the shards weight their samples as one device does")
                    .isCloseTo(b, offset(1e-5f * b));
        }
    }
}
