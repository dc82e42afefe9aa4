package dev.ddpm.core.diffusion;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Imagen's dynamic thresholding (Saharia et al. 2022, section 2.3) against hand computations. */
class ThresholdingTest {

    @Test
    void dynamicThresholdingTakesTheInterpolatedQuantileOfTheMagnitudesClampsAndDivides() {
        // |x| sorted: 0.2, 0.5, 1.0, 1.5, 2.5, 4.0. At p = 0.9 the position is 0.9 (6 - 1) = 4.5, half way
        // between 2.5 and 4.0: s = 3.25, numpy.quantile(abs(x), 0.9) (linear interpolation, its default).
        float[] x0 = {-4.0f, 0.5f, 2.5f, -0.2f, 1.0f, -1.5f};
        assertThat(Thresholding.quantileOfMagnitude(x0, 0.9)).isCloseTo(3.25, within(1e-12));
        Thresholding.dynamic(0.9).apply(x0);
        double s = 3.25;
        double[] expected = {-s / s, 0.5 / s, 2.5 / s, -0.2 / s, 1.0 / s, -1.5 / s};
        for (int i = 0; i < x0.length; i++) {
            assertThat((double) x0[i]).as("element %d", i).isCloseTo(expected[i], within(1e-7));
        }
        // p = 1 is the largest magnitude: nothing is clamped, everything is divided by it.
        float[] y = {-4.0f, 0.5f, 2.0f};
        Thresholding.dynamic(1.0).apply(y);
        assertThat(y).containsExactly(-1.0f, 0.125f, 0.5f);
    }

    @Test
    void anImageWithinTheUnitRangeIsLeftAsItIs() {
        float[] x0 = {-1.0f, 0.99f, 0.0f, 0.3f, -0.75f, 1.0f};
        float[] thresholded = x0.clone();
        Thresholding.dynamic(0.995).apply(thresholded);
        assertThat(thresholded).containsExactly(x0);
    }

    @Test
    void whereTheQuantileStaysBelowOneItIsClipping() {
        // Two outliers of ten: the 0.5 quantile of |x| is 0.55, so s = max(1, 0.55) = 1.
        float[] x0 = {3.0f, -2.0f, 0.1f, 0.2f, 0.3f, 0.4f, -0.5f, 0.6f, 0.7f, -0.8f};
        assertThat(Thresholding.quantileOfMagnitude(x0, 0.5)).isCloseTo(0.55, within(1e-7));
        float[] dynamic = x0.clone();
        Thresholding.dynamic(0.5).apply(dynamic);
        float[] clipped = x0.clone();
        Thresholding.CLIP.apply(clipped);
        assertThat(dynamic).containsExactly(clipped);
        assertThat(dynamic[0]).isEqualTo(1.0f);
        assertThat(dynamic[1]).isEqualTo(-1.0f);
    }

    @Test
    void noneAndClipDoWhatTheySay() {
        float[] x0 = {-2.0f, 0.5f, 1.5f};
        float[] none = x0.clone();
        Thresholding.NONE.apply(none);
        assertThat(none).containsExactly(x0);
        Thresholding.CLIP.apply(x0);
        assertThat(x0).containsExactly(-1.0f, 0.5f, 1.0f);
        assertThat(Thresholding.NONE.changesPrediction()).isFalse();
        assertThat(Thresholding.dynamic(0.995).changesPrediction()).isTrue();
        assertThat(Thresholding.of(true, 0.995)).isEqualTo(Thresholding.dynamic(0.995));
        assertThat(Thresholding.of(true, null)).isSameAs(Thresholding.CLIP);
        assertThat(Thresholding.of(false, null)).isSameAs(Thresholding.NONE);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.5, 1.0000001, 2.0, Double.NaN})
    void percentilesOutsideZeroToOneAreRefused(double percentile) {
        assertThatThrownBy(() -> Thresholding.dynamic(percentile))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threshold must be a percentile in (0, 1]");
        assertThat(Thresholding.percentileProblem(percentile)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(doubles = {1e-9, 0.5, 0.995, 1.0})
    void percentilesInZeroToOneAreTaken(double percentile) {
        assertThat(Thresholding.dynamic(percentile).percentile()).isEqualTo(percentile);
        assertThat(Thresholding.percentileProblem(percentile)).isNull();
    }
}
