package dev.ddpm.trainer.eval;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The Frechet distance against closed forms for Gaussians whose parameters are known. */
class FrechetDistanceTest {

    @Test
    void identicalSetsAreAtDistanceZero() {
        double[][] x = gaussian(2000, new double[] {1, -2, 0.5}, new double[] {1, 2, 0.5}, 1);
        assertThat(FrechetDistance.between(x, x)).isCloseTo(0, within(1e-9));
    }

    @Test
    void aShiftedMeanAddsItsSquaredLength() {
        // Same covariance, means apart by (3, 4): distance ~ 25 (plus sampling noise).
        double[][] a = gaussian(20000, new double[] {0, 0}, new double[] {1, 1}, 2);
        double[][] b = gaussian(20000, new double[] {3, 4}, new double[] {1, 1}, 3);
        assertThat(FrechetDistance.between(a, b)).isCloseTo(25, within(0.3));
    }

    @Test
    void differentSpreadsGiveTheSumOfSquaredSigmaDifferences() {
        // Diagonal covariances: the distance is sum (sigma1_i - sigma2_i)^2 = (2-1)^2 + (3-1)^2 = 5.
        double[][] a = gaussian(40000, new double[] {0, 0}, new double[] {1, 1}, 4);
        double[][] b = gaussian(40000, new double[] {0, 0}, new double[] {2, 3}, 5);
        assertThat(FrechetDistance.between(a, b)).isCloseTo(5, within(0.15));
    }

    @Test
    void correlatedCovariancesAgreeWithTheClosedForm() {
        // Rotate a diagonal Gaussian by 45 degrees: S2 = R diag(4, 1) R^T vs S1 = I.
        // Tr(S1 + S2 - 2 sqrt(S1 S2)) = 2 + 5 - 2 (2 + 1) = 1.
        SplittableRandom random = new SplittableRandom(6);
        double[][] a = gaussian(40000, new double[] {0, 0}, new double[] {1, 1}, 7);
        double[][] b = new double[40000][2];
        double c = Math.cos(Math.PI / 4);
        for (double[] row : b) {
            double u = 2 * normal(random);
            double v = normal(random);
            row[0] = c * u - c * v;
            row[1] = c * u + c * v;
        }
        assertThat(FrechetDistance.between(a, b)).isCloseTo(1, within(0.06));
    }

    @Test
    void tooFewSamplesOrMismatchedFeaturesAreRefused() {
        assertThatThrownBy(() -> FrechetDistance.between(new double[1][2], new double[5][2]))
                .hasMessageContaining("at least two samples");
        assertThatThrownBy(() -> FrechetDistance.between(new double[3][2], new double[3][4]))
                .hasMessageContaining("feature sizes differ: 2 and 4");
    }

    private static double[][] gaussian(int n, double[] mean, double[] sigma, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] x = new double[n][mean.length];
        for (double[] row : x) {
            for (int j = 0; j < mean.length; j++) {
                row[j] = mean[j] + sigma[j] * normal(random);
            }
        }
        return x;
    }

    private static double normal(SplittableRandom random) {
        double u1 = 1 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
