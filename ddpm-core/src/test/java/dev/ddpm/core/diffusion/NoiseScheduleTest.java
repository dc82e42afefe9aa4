package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.PredictionType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class NoiseScheduleTest {

    private final NoiseSchedule linear = NoiseSchedule.from(DiffusionConfig.ho2020());

    @Test
    void linearScheduleMatchesThePaper() {
        assertThat(linear.timesteps()).isEqualTo(1000);
        assertThat(linear.beta(0)).isEqualTo(1e-4);
        assertThat(linear.beta(999)).isCloseTo(0.02, within(1e-15));
        // abar_T of the linear schedule at T = 1000, the value diffusers and the reference
        // implementation print (4.0358e-05): almost all signal is gone at t = T.
        assertThat(linear.alphaBar(999)).isCloseTo(4.0358297653756754e-05, within(1e-15));
        assertThat(linear.alphaBar(0)).isEqualTo(0.9999);
    }

    @Test
    void posteriorVarianceIsZeroAtTheFirstStepAndMatchesEquation7After() {
        assertThat(linear.posterior(0, -1).variance()).isEqualTo(0.0);
        // beta_2 (1 - abar_1) / (1 - abar_2) with beta_1 = 1e-4, beta_2 = 1e-4 + 0.0199/999.
        assertThat(linear.posterior(1, 0).variance()).isCloseTo(5.4531876613021935e-05, within(1e-15));
        for (int t = 1; t < 1000; t += 111) {
            assertThat(linear.posterior(t, t - 1).beta()).isCloseTo(linear.beta(t), within(1e-12));
            assertThat(linear.posterior(t, t - 1).variance())
                    .isLessThan(linear.beta(t))
                    .isPositive();
        }
    }

    @Test
    void posteriorMeanCoefficientsReproduceX0WhenXtIsNoiseless() {
        // With eps = 0, x_t = sqrt(abar_t) x0 and the posterior mean must be sqrt(abar_{t-1}) x0.
        for (int t = 1; t < 1000; t += 97) {
            for (int prev : new int[] {t - 1, t / 2, -1}) {
                NoiseSchedule.Posterior q = linear.posterior(t, prev);
                double mean = q.coefX0() + q.coefXt() * Math.sqrt(linear.alphaBar(t));
                assertThat(mean).isCloseTo(prev < 0 ? 1 : Math.sqrt(linear.alphaBar(prev)), within(1e-12));
            }
        }
    }

    @Test
    void cosineScheduleFollowsNicholAndDhariwal() {
        NoiseSchedule cosine = NoiseSchedule.from(DiffusionConfig.builder()
                .timesteps(1000)
                .schedule(BetaSchedule.COSINE)
                .predictionType(PredictionType.EPSILON)
                .build());
        double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
        double expectedMid = Math.pow(Math.cos((0.5 + 0.008) / 1.008 * Math.PI / 2), 2) / f0;
        assertThat(cosine.alphaBar(499)).isCloseTo(expectedMid, within(1e-9));
        assertThat(cosine.beta(999)).isEqualTo(0.999); // capped
        for (int t = 1; t < 1000; t++) {
            assertThat(cosine.alphaBar(t)).isLessThan(cosine.alphaBar(t - 1));
            assertThat(cosine.beta(t)).isLessThanOrEqualTo(0.999);
        }
        // The point of the cosine schedule: more signal survives in the middle than with linear betas.
        assertThat(cosine.alphaBar(499)).isGreaterThan(linear.alphaBar(499));
    }
}
