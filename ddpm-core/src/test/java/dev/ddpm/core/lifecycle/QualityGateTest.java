package dev.ddpm.core.lifecycle;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class QualityGateTest {

    private static Evaluation gate(Map<String, Double> candidate, Map<String, Double> production) {
        return QualityGate.compare("v1", "probe", candidate, production, 0.1);
    }

    @Test
    void aCandidateWithinTheMarginPasses() {
        Evaluation e = gate(
                Map.of("quality_fld", 1.05, "quality_recognisable", 0.85, "quality_nearest_train", 0.95),
                Map.of("quality_fld", 1.0, "quality_recognisable", 0.9, "quality_nearest_train", 1.0));
        assertThat(e.passed()).as(e.reason()).isTrue();
        assertThat(e.reason()).startsWith("not worse than production v1");
    }

    @Test
    void aHigherFldBeyondTheMarginFailsAndSaysWhich() {
        Evaluation e = gate(
                Map.of("quality_fld", 1.2, "quality_recognisable", 0.9),
                Map.of("quality_fld", 1.0, "quality_recognisable", 0.9));
        assertThat(e.passed()).isFalse();
        assertThat(e.reason()).contains("quality_fld 1.200 vs production 1.000 (at most 1.100)");
        assertThat(e.reason()).doesNotContain("quality_recognisable");
    }

    @Test
    void theRecognisableShareHasAnAbsoluteMargin() {
        assertThat(gate(Map.of("quality_recognisable", 0.79), Map.of("quality_recognisable", 0.9))
                        .passed())
                .isFalse();
        assertThat(gate(Map.of("quality_recognisable", 0.81), Map.of("quality_recognisable", 0.9))
                        .passed())
                .isTrue();
    }

    @Test
    void copyingTheTrainingSetMoreIsWorse() {
        assertThat(gate(Map.of("quality_nearest_train", 0.5), Map.of("quality_nearest_train", 1.0))
                        .passed())
                .isFalse();
    }

    @Test
    void withoutAFigureMeasuredOnBothNothingPasses() {
        Evaluation e = gate(Map.of("quality_fld", 1.0), Map.of("quality_pixel_fd", 1.0));
        assertThat(e.passed()).isFalse();
        assertThat(e.reason()).contains("no quality figure");
    }
}
