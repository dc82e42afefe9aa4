package dev.ddpm.core.lifecycle;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The nearest-training figure: a candidate closer to the training images than production is worse
 * only when it comes closer than real images lie to them (copying), not when it has learned more.
 */
class QualityGateNearestTrainTest {

    @Test
    void aCandidateAsFarFromTheTrainingImagesAsRealOnesPasses() {
        Evaluation e = QualityGate.compare(
                "v1",
                "probe",
                Map.of("quality_pixel_fd", 70.0, "quality_nearest_train", 0.65, "quality_real_nearest_train", 0.3),
                Map.of("quality_pixel_fd", 170.0, "quality_nearest_train", 0.95, "quality_real_nearest_train", 0.3),
                0.1);

        assertThat(e.passed()).isTrue();
        assertThat(e.reason()).contains("quality_nearest_train 0.6500 vs production 0.9500 (at least 0.2700)");
    }

    @Test
    void aCandidateCloserThanRealImagesIsWorse() {
        Evaluation e = QualityGate.compare(
                "v1",
                "probe",
                Map.of("quality_nearest_train", 0.1, "quality_real_nearest_train", 0.3),
                Map.of("quality_nearest_train", 0.35, "quality_real_nearest_train", 0.3),
                0.1);

        assertThat(e.passed()).isFalse();
        assertThat(e.reason()).startsWith("worse than production v1").contains("quality_nearest_train 0.1000");
    }

    @Test
    void withoutTheRealFigureProductionsFigureIsTheBound() {
        Evaluation e = QualityGate.compare(
                "v1", "probe", Map.of("quality_nearest_train", 0.65), Map.of("quality_nearest_train", 0.95), 0.1);

        assertThat(e.passed()).isFalse();
    }
}
