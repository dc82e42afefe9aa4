package dev.ddpm.core.diffusion;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Each order of the multistep updates on its own, against the exact flow. When the data prediction
 * is a function g(lambda) of the noise level alone, the probability-flow ODE in data-prediction form
 * is solved exactly by x_t = (sigma_t / sigma_s) x_s + sigma_t int_{lambda_s}^{lambda_t} e^lambda
 * g(lambda) dlambda (Lu et al. 2022, eq. 8), in closed form for a polynomial g. Which polynomials an
 * update integrates exactly is what its order means, so each check breaks if one weight of its
 * update does. The steps in lambda are deliberately unequal (r0, r1 != 1).
 */
class MultistepUpdateTest {

    private static final double LAMBDA_S2 = -0.95;
    private static final double LAMBDA_S1 = -0.6;
    private static final double LAMBDA_S0 = -0.3;
    private static final double LAMBDA_T = 0.1;
    private static final float[] SAMPLE = {0.3f, -1.2f, 0.75f};

    /** Per coordinate, the coefficients c_n of g(lambda) = sum_n c_n lambda^n. */
    private static final double[][] CONSTANT = {{0.4}, {-0.8}, {0.1}};

    private static final double[][] LINEAR = {{0.4, 0.9}, {-0.8, -1.3}, {0.1, 0.5}};
    private static final double[][] QUADRATIC = {{0.4, 0.9, -0.7}, {-0.8, -1.3, 1.1}, {0.1, 0.5, 0.6}};
    private static final double[][] CUBIC = {{0.4, 0.9, -0.7, 0.8}, {-0.8, -1.3, 1.1, -0.6}, {0.1, 0.5, 0.6, 1.2}};
    private static final double[][] QUARTIC = {{0, 0, 0, 0, 1.5}, {0, 0, 0, 0, -1}, {0.2, 0, 0, 0, 0.7}};

    private static final double EXACT = 2e-6;

    /** The noise level whose half log-SNR is lambda: alpha^2 = sigmoid(2 lambda), sigma^2 = sigmoid(-2 lambda). */
    private static NoiseLevel level(double lambda) {
        return new NoiseLevel(Math.sqrt(1 / (1 + Math.exp(-2 * lambda))), Math.sqrt(1 / (1 + Math.exp(2 * lambda))));
    }

    private static double g(double[] c, double lambda) {
        double value = 0;
        for (int n = c.length - 1; n >= 0; n--) {
            value = value * lambda + c[n];
        }
        return value;
    }

    private static float[] predictions(double[][] g, double lambda) {
        float[] m = new float[g.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) g(g[i], lambda);
        }
        return m;
    }

    /** P with (e^lambda P(lambda))' = e^lambda g(lambda): P = sum_n c_n sum_j (-1)^j n! / (n - j)! lambda^(n - j). */
    private static double antiderivativeFactor(double[] c, double lambda) {
        double value = 0;
        for (int n = 0; n < c.length; n++) {
            double falling = 1;
            for (int j = 0; j <= n; j++) {
                value += c[n] * (j % 2 == 0 ? 1 : -1) * falling * Math.pow(lambda, n - j);
                falling *= n - j;
            }
        }
        return value;
    }

    /** The exact flow of the data-prediction ODE from x at lambda_s to lambda_t when x_0 = g(lambda). */
    private static double[] exactFlow(float[] x, double lambdaS, double lambdaT, double[][] g) {
        NoiseLevel s = level(lambdaS);
        NoiseLevel t = level(lambdaT);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            // sigma_t e^lambda = alpha_t at lambda_t, and sigma_t alpha_s / sigma_s at lambda_s
            out[i] = t.sigma() / s.sigma() * x[i]
                    + t.alpha() * antiderivativeFactor(g[i], lambdaT)
                    - t.sigma() * s.alpha() / s.sigma() * antiderivativeFactor(g[i], lambdaS);
        }
        return out;
    }

    /** The data prediction as the constant it takes at lambda. */
    private static double[][] constantAt(double[][] g, double lambda) {
        double[][] c = new double[g.length][];
        for (int i = 0; i < g.length; i++) {
            c[i] = new double[] {g(g[i], lambda)};
        }
        return c;
    }

    /** The tangent line of g at lambda. */
    private static double[][] tangentAt(double[][] g, double lambda) {
        double[][] c = new double[g.length][];
        for (int i = 0; i < g.length; i++) {
            double slope = 0;
            for (int n = 1; n < g[i].length; n++) {
                slope += n * g[i][n] * Math.pow(lambda, n - 1);
            }
            c[i] = new double[] {g(g[i], lambda) - slope * lambda, slope};
        }
        return c;
    }

    /** m2, m1, m0 at lambda_s2, lambda_s1, lambda_s0: the newest is m0. */
    private static PredictionHistory history(double[][] g) {
        PredictionHistory history = new PredictionHistory();
        history.push(predictions(g, LAMBDA_S2), LAMBDA_S2);
        history.push(predictions(g, LAMBDA_S1), LAMBDA_S1);
        history.push(predictions(g, LAMBDA_S0), LAMBDA_S0);
        return history;
    }

    private static double maxDifference(float[] actual, double[] expected) {
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            max = Math.max(max, Math.abs(actual[i] - expected[i]));
        }
        return max;
    }

    @Test
    void dpmSolverFirstOrderIsExactForAConstantDataPredictionAndLandsOnItAtCleanData() {
        float[] xt = DpmSolverPlusPlusScheduler.firstOrderUpdate(
                SAMPLE, level(LAMBDA_S0), level(LAMBDA_T), predictions(CONSTANT, LAMBDA_S0));
        assertThat(maxDifference(xt, exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, CONSTANT)))
                .isLessThan(EXACT);
        // A line is integrated as its value at the start: off by far more than rounding.
        float[] line = DpmSolverPlusPlusScheduler.firstOrderUpdate(
                SAMPLE, level(LAMBDA_S0), level(LAMBDA_T), predictions(LINEAR, LAMBDA_S0));
        assertThat(maxDifference(line, exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, constantAt(LINEAR, LAMBDA_S0))))
                .isLessThan(EXACT);
        assertThat(maxDifference(line, exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, LINEAR)))
                .isGreaterThan(1e-2);

        float[] m0 = predictions(LINEAR, LAMBDA_S0);
        assertThat(DpmSolverPlusPlusScheduler.firstOrderUpdate(SAMPLE, level(LAMBDA_S0), NoiseLevel.CLEAN, m0))
                .containsExactly(m0);
    }

    @Test
    void dpmSolverSecondOrderIntegratesALinearDataPredictionAsItsValueAtTheStepsMidpoint() {
        // solver_type midpoint: the line's weight is 1/2 (1 - e^{-h}), its value half way along the step.
        PredictionHistory history = history(LINEAR);
        float[] xt = DpmSolverPlusPlusScheduler.secondOrderUpdate(SAMPLE, level(LAMBDA_S0), level(LAMBDA_T), history);
        double midpoint = (LAMBDA_S0 + LAMBDA_T) / 2;
        assertThat(maxDifference(xt, exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, constantAt(LINEAR, midpoint))))
                .isLessThan(EXACT);
        // Close to the exact flow (second order), yet not it.
        double error = maxDifference(xt, exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, LINEAR));
        assertThat(error).isBetween(1e-4, 1e-2);

        float[] constant = DpmSolverPlusPlusScheduler.secondOrderUpdate(
                SAMPLE, level(LAMBDA_S0), level(LAMBDA_T), history(CONSTANT));
        assertThat(maxDifference(constant, exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, CONSTANT)))
                .isLessThan(EXACT);
    }

    @Test
    void dpmSolverThirdOrderIsExactForALinearDataPredictionAndKeepsHalfOfACurvatureTerm() {
        float[] line =
                DpmSolverPlusPlusScheduler.thirdOrderUpdate(SAMPLE, level(LAMBDA_S0), level(LAMBDA_T), history(LINEAR));
        assertThat(maxDifference(line, exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, LINEAR)))
                .isLessThan(EXACT);

        // diffusers' (and Lu et al.'s code's) D2 is h^2 x0'' / 2 under a weight meant for h^2 x0'': the step
        // is the mean of the exact flows of the parabola and of its tangent at s0.
        float[] parabola = DpmSolverPlusPlusScheduler.thirdOrderUpdate(
                SAMPLE, level(LAMBDA_S0), level(LAMBDA_T), history(QUADRATIC));
        double[] exact = exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, QUADRATIC);
        double[] tangent = exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, tangentAt(QUADRATIC, LAMBDA_S0));
        double[] mean = new double[exact.length];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (exact[i] + tangent[i]) / 2;
        }
        assertThat(maxDifference(parabola, mean)).isLessThan(EXACT);
        assertThat(maxDifference(parabola, exact)).isGreaterThan(1e-4);
    }

    @ParameterizedTest(name = "UniP-{0}")
    @ValueSource(ints = {1, 2, 3})
    void uniPredictorOfOrderPIsExactForDataPredictionsOfDegreePMinusOne(int order) {
        double[][] exactFor = order == 1 ? CONSTANT : order == 2 ? LINEAR : QUADRATIC;
        float[] xt =
                UniPcScheduler.predictorUpdate(SAMPLE, level(LAMBDA_S0), level(LAMBDA_T), history(exactFor), order);
        double[] exact = exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, exactFor);
        if (order == 2) {
            // diffusers' UniP-2 takes rho = 1/2 rather than solving for it: the midpoint rule, as DPM-Solver++(2M).
            assertThat(maxDifference(
                            xt, exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, constantAt(LINEAR, (LAMBDA_S0 + LAMBDA_T) / 2))))
                    .isLessThan(EXACT);
            assertThat(maxDifference(xt, exact)).isBetween(1e-4, 1e-2);
        } else {
            assertThat(maxDifference(xt, exact)).isLessThan(EXACT);
        }
        double[][] beyond = order == 1 ? LINEAR : order == 2 ? QUADRATIC : CUBIC;
        float[] inexact =
                UniPcScheduler.predictorUpdate(SAMPLE, level(LAMBDA_S0), level(LAMBDA_T), history(beyond), order);
        assertThat(maxDifference(inexact, exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, beyond)))
                .isGreaterThan(1e-5);
    }

    @ParameterizedTest(name = "UniC-{0}")
    @ValueSource(ints = {1, 2, 3})
    void uniCorrectorOfOrderPIsExactForDataPredictionsOfDegreeP(int order) {
        double[][] exactFor = order == 1 ? LINEAR : order == 2 ? QUADRATIC : CUBIC;
        float[] xt = UniPcScheduler.correctorUpdate(
                SAMPLE, level(LAMBDA_S0), level(LAMBDA_T), history(exactFor), predictions(exactFor, LAMBDA_T), order);
        double[] exact = exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, exactFor);
        if (order == 1) {
            // diffusers' UniC-1 takes rho = 1/2: the line's mean of its two ends, its value at the midpoint.
            assertThat(maxDifference(
                            xt, exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, constantAt(LINEAR, (LAMBDA_S0 + LAMBDA_T) / 2))))
                    .isLessThan(EXACT);
            assertThat(maxDifference(xt, exact)).isBetween(1e-4, 1e-2);
        } else {
            assertThat(maxDifference(xt, exact)).isLessThan(EXACT);
        }
        double[][] beyond = order == 1 ? QUADRATIC : order == 2 ? CUBIC : QUARTIC;
        float[] inexact = UniPcScheduler.correctorUpdate(
                SAMPLE, level(LAMBDA_S0), level(LAMBDA_T), history(beyond), predictions(beyond, LAMBDA_T), order);
        assertThat(maxDifference(inexact, exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, beyond)))
                .isGreaterThan(1e-5);
    }

    @Test
    void theHelpersAreTheExactFlow() {
        // A sanity check of the closed form against a midpoint-rule quadrature of the same integral.
        NoiseLevel s = level(LAMBDA_S0);
        NoiseLevel t = level(LAMBDA_T);
        int n = 20_000;
        double dl = (LAMBDA_T - LAMBDA_S0) / n;
        for (int i = 0; i < SAMPLE.length; i++) {
            double integral = 0;
            for (int k = 0; k < n; k++) {
                double lambda = LAMBDA_S0 + (k + 0.5) * dl;
                integral += Math.exp(lambda) * g(CUBIC[i], lambda) * dl;
            }
            double quadrature = t.sigma() / s.sigma() * SAMPLE[i] + t.sigma() * integral;
            assertThat(exactFlow(SAMPLE, LAMBDA_S0, LAMBDA_T, CUBIC)[i]).isCloseTo(quadrature, within(1e-9));
        }
        assertThat(level(-0.42).lambda()).isCloseTo(-0.42, within(1e-12));
    }
}
