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
        for (int t : new int[] {0, 10, 500, 999}) {
            float[] xt = forward.noisy(x0, eps, t);
            float[] target = forward.target(x0, eps, t, type);
            float[] recovered = forward.predictX0(target, xt, t, type);
            for (int i = 0; i < 4; i++) {
                // at t = 999 eps-prediction divides by sqrt(abar) ~ 0.006: float error grows accordingly
                assertThat(recovered[i])
                        .isCloseTo(x0[i], within(t == 999 && type == PredictionType.EPSILON ? 2e-3f : 1e-5f));
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

    /** The timestep whose SNR abar_t / (1 - abar_t) is nearest {@code snr}. */
    private int timestepWithSnr(double snr) {
        int best = 0;
        for (int t = 0; t < forward.schedule().timesteps(); t++) {
            if (Math.abs(Math.log(snr(t) / snr)) < Math.abs(Math.log(snr(best) / snr))) {
                best = t;
            }
        }
        return best;
    }

    private double snr(int t) {
        double abar = forward.schedule().alphaBar(t);
        return abar / (1 - abar);
    }

    @Test
    void lossWeightsAreMinSnrOverSnr() {
        int high = timestepWithSnr(10);
        int low = timestepWithSnr(2);
        assertThat(forward.lossWeight(high, PredictionType.EPSILON, 5))
                .as("SNR 10, epsilon")
                .isCloseTo(5 / snr(high), within(1e-12));
        assertThat(5 / snr(high)).isCloseTo(0.5, within(0.02));
        assertThat(forward.lossWeight(low, PredictionType.EPSILON, 5))
                .as("SNR 2 < gamma, epsilon")
                .isEqualTo(1.0);
        assertThat(forward.lossWeight(high, PredictionType.V, 5))
                .as("SNR 10, v")
                .isCloseTo(5 / (snr(high) + 1), within(1e-12));
        assertThat(forward.lossWeight(low, PredictionType.V, 5))
                .as("SNR 2, v")
                .isCloseTo(snr(low) / (snr(low) + 1), within(1e-12));
        assertThat(forward.lossWeight(0, PredictionType.EPSILON, 0))
                .as("off: the simple loss")
                .isEqualTo(1.0);
    }

    @ParameterizedTest
    @EnumSource(PredictionType.class)
    void aBatchsCoefficientsGiveWhatThePerImageFunctionsGive(PredictionType type) {
        int[] timesteps = {0, 7, 250, 999, 250};
        float[] x0 = {0.5f, -0.75f};
        float[] eps = {1.25f, -0.3f};
        ForwardProcess.TrainingCoefficients c = forward.trainingCoefficients(timesteps, type, 5);
        for (int i = 0; i < timesteps.length; i++) {
            int t = timesteps[i];
            float[] xt = forward.noisy(x0, eps, t);
            float[] target = forward.target(x0, eps, t, type);
            for (int j = 0; j < x0.length; j++) {
                assertThat(c.signal()[i] * x0[j] + c.noise()[i] * eps[j]).isCloseTo(xt[j], within(1e-6f));
                assertThat(c.targetX0()[i] * x0[j] + c.targetEps()[i] * eps[j]).isCloseTo(target[j], within(1e-6f));
            }
            assertThat((double) c.lossWeight()[i]).isCloseTo(forward.lossWeight(t, type, 5), within(1e-6));
        }
    }
}
