package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.PredictionType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ForwardProcessTest {

    private final ForwardProcess forward = new ForwardProcess(NoiseSchedule.from(DiffusionConfig.ho2020()));

    @Test
    void noisyHasTheClosedFormMeanAndVariance() {
        // x_t ~ N(sqrt(abar_t) x0, (1 - abar_t) I): check both moments over many draws.
        int t = 300;
        int draws = 200_000;
        float[] x0 = {0.8f};
        double sum = 0;
        double sumSq = 0;
        for (int i = 0; i < draws; i++) {
            float[] eps = SeededNoise.forSample(11, i).draw(t, 1);
            double xt = forward.noisy(x0, eps, t)[0];
            sum += xt;
            sumSq += xt * xt;
        }
        double mean = sum / draws;
        double variance = sumSq / draws - mean * mean;
        double abar = forward.schedule().alphaBar(t);
        assertThat(mean).isCloseTo(Math.sqrt(abar) * 0.8, within(0.006));
        assertThat(variance).isCloseTo(1 - abar, within(0.008));
    }

    @ParameterizedTest
    @EnumSource(PredictionType.class)
    void theTrainingTargetInvertsToX0(PredictionType type) {
        float[] x0 = {0.5f, -1f, 0.25f, 0.9f};
        float[] eps = SeededNoise.forSample(3, 0).draw(0, 4);
        for (int t : new int[]{0, 10, 500, 999}) {
            float[] xt = forward.noisy(x0, eps, t);
            float[] target = forward.target(x0, eps, t, type);
            float[] recovered = forward.predictX0(target, xt, t, type);
            for (int i = 0; i < 4; i++) {
                // at t = 999 eps-prediction divides by sqrt(abar) ~ 0.006: float error grows accordingly
                assertThat(recovered[i]).isCloseTo(x0[i], within(t == 999 && type == PredictionType.EPSILON ? 2e-3f : 1e-5f));
            }
            float[] epsBack = forward.epsFromX0(x0, xt, t);
            for (int i = 0; i < 4; i++) {
                assertThat(epsBack[i]).isCloseTo(eps[i], within(t == 0 ? 1e-2f : 1e-4f));
            }
        }
    }

    @Test
    void vTargetMatchesItsDefinition() {
        float[] x0 = {0.3f};
        float[] eps = {-1.2f};
        int t = 400;
        double abar = forward.schedule().alphaBar(t);
        assertThat(forward.target(x0, eps, t, PredictionType.V)[0])
                .isCloseTo((float) (Math.sqrt(abar) * -1.2 - Math.sqrt(1 - abar) * 0.3), within(1e-6f));
        assertThat(forward.target(x0, eps, t, PredictionType.EPSILON)).containsExactly(-1.2f);
    }
}
