package dev.ddpm.core.diffusion;

import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.model.PredictionType;

/**
 * UniPC, Zhao et al. 2023 ("UniPC: A Unified Predictor-Corrector Framework for Fast Sampling of
 * Diffusion Models"), data-prediction form with B(h) = e^h - 1 ("bh2"), orders 1-3, as diffusers'
 * {@code UniPCMultistepScheduler}.
 *
 * <p>Each call first corrects x_{t_i} (UniC, Algorithm 2) with the model output just computed at it,
 * which costs no extra evaluation, then predicts x_{t_{i+1}} (UniP, Algorithm 1) from the corrected
 * sample. Both are x_t = (sigma_t / sigma_s) x_s - alpha_t (e^{-h} - 1) m_0 - alpha_t B(h)
 * sum_k rho_k D_k with D_k = (m_k - m_0) / r_k the scaled differences of earlier data predictions
 * and rho the solution of R rho = b (eq. 8; R_{pk} = r_k^{p-1}, b_p = h phi_{p+1}(h) p! / B(h)).
 * The orders ramp up over the first steps and fall to 1 at the end, where the last step to clean data
 * returns m_0.
 */
public final class UniPcScheduler extends OdeSolverScheduler {

    private final int order;
    private final PredictionHistory history = new PredictionHistory();
    private float[] lastSample;
    private int lowerOrderSteps;
    private int lastOrder;

    public UniPcScheduler(NoiseSchedule schedule, PredictionType predictionType, int order, boolean clipX0,
                          TimestepSpacing spacing) {
        super(schedule, predictionType, clipX0, spacing);
        this.order = checkedOrder(SamplerKind.UNIPC, order);
    }

    @Override
    protected void reset() {
        history.clear();
        lastSample = null;
        lowerOrderSteps = 0;
        lastOrder = 0;
    }

    @Override
    public StepResult step(float[] modelOutput, int t, float[] sample, GaussianNoise noise) {
        expect(t);
        int i = calls;
        float[] m = dataPrediction(modelOutput, sample, t);
        float[] x = sample;
        if (lastSample != null) {
            x = correct(m, i);
        }
        history.push(m, level(i).lambda());

        int stepOrder = Math.min(Math.min(order, levels().length - i), lowerOrderSteps + 1);
        lastSample = x;
        lastOrder = stepOrder;
        float[] next = predict(x, i, stepOrder);
        if (lowerOrderSteps < order) {
            lowerOrderSteps++;
        }
        calls++;
        return new StepResult(next, m);
    }

    /** UniP of the given order from solver timestep i (the history's newest prediction is m_0 at it) to i + 1. */
    private float[] predict(float[] x, int i, int p) {
        NoiseLevel s = level(i);
        NoiseLevel target = level(i + 1);
        if (target.clean()) {
            return history.prediction(0).clone(); // sigma_t = 0, alpha_t = 1, e^{-h} - 1 = B(h) = -1, p = 1
        }
        double h = target.lambda() - s.lambda();
        double[] r = history.ratios(h, p);
        Coefficients c = coefficients(h, r, p);
        double[] rho = p == 1 ? new double[0] : p == 2 ? new double[]{0.5} : solve(c.R, c.b, p - 1);
        return update(x, s, target, r, rho, 0, history.prediction(0), history.prediction(1),
                history.prediction(2), null);
    }

    /**
     * UniC: corrects x_{t_i} (predicted from solver timestep i-1 with order {@link #lastOrder}) with
     * m_t, the data prediction at it; the history's newest is still m_0 at timestep i-1.
     */
    private float[] correct(float[] mt, int i) {
        int p = lastOrder;
        NoiseLevel s = level(i - 1);
        NoiseLevel target = level(i);
        double h = target.lambda() - s.lambda();
        double[] r = history.ratios(h, p);
        Coefficients c = coefficients(h, r, p);
        double[] rho = p == 1 ? new double[]{0.5} : solve(c.R, c.b, p);
        // The last rho multiplies D_t = m_t - m_0 (r = 1), the others the history's differences.
        return update(lastSample, s, target, r, rho, 1, history.prediction(0), history.prediction(1),
                history.prediction(2), mt);
    }

    /**
     * x_t = (sigma_t / sigma_s) x - alpha_t (e^{-h} - 1) m_0 - alpha_t B(h) (sum_{k<p-1} rho_k D_k
     * [+ rho_{p-1} (m_t - m_0) for the corrector]), with D_k = (m_{k+1} - m_0) / r_k.
     */
    private static float[] update(float[] x, NoiseLevel s, NoiseLevel target, double[] r, double[] rho,
                                  int corrector, float[]... m) {
        double phi1 = Math.expm1(-(target.lambda() - s.lambda()));
        double bh = phi1; // B(h) of bh2, for hh = -h in the data-prediction form
        int differences = rho.length - corrector;
        int terms = 1 + differences + corrector;
        double[] coefficient = new double[terms];
        float[][] operands = new float[terms][];
        coefficient[0] = -target.alpha() * phi1;
        operands[0] = m[0];
        for (int k = 0; k < differences; k++) {
            double w = -target.alpha() * bh * rho[k] / r[k];
            coefficient[0] -= w;
            coefficient[1 + k] = w;
            operands[1 + k] = m[1 + k];
        }
        if (corrector == 1) {
            double w = -target.alpha() * bh * rho[rho.length - 1];
            coefficient[0] -= w;
            coefficient[terms - 1] = w;
            operands[terms - 1] = m[3];
        }
        return combine(target.sigma() / s.sigma(), x, coefficient, operands);
    }

    private record Coefficients(double[][] R, double[] b) {
    }

    /** R_{q,k} = r_k^q and b_q = h phi_{q+1} q! / B(h) for q = 0..p-1 (diffusers' recursion, hh = -h). */
    private static Coefficients coefficients(double h, double[] r, int p) {
        double hh = -h;
        double phi1 = Math.expm1(hh);
        double bh = phi1;
        double phiK = phi1 / hh - 1;
        double factorial = 1;
        double[][] R = new double[p][p];
        double[] b = new double[p];
        for (int q = 1; q <= p; q++) {
            for (int k = 0; k < p; k++) {
                R[q - 1][k] = Math.pow(r[k], q - 1);
            }
            b[q - 1] = phiK * factorial / bh;
            factorial *= q + 1;
            phiK = phiK / hh - 1 / factorial;
        }
        return new Coefficients(R, b);
    }

    /** Solves the leading n x n block of R rho = b (n <= 3) by Gaussian elimination with pivoting. */
    static double[] solve(double[][] R, double[] b, int n) {
        double[][] a = new double[n][n + 1];
        for (int i = 0; i < n; i++) {
            System.arraycopy(R[i], 0, a[i], 0, n);
            a[i][n] = b[i];
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int row = col + 1; row < n; row++) {
                if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) {
                    pivot = row;
                }
            }
            double[] tmp = a[col];
            a[col] = a[pivot];
            a[pivot] = tmp;
            for (int row = col + 1; row < n; row++) {
                double f = a[row][col] / a[col][col];
                for (int k = col; k <= n; k++) {
                    a[row][k] -= f * a[col][k];
                }
            }
        }
        double[] x = new double[n];
        for (int row = n - 1; row >= 0; row--) {
            double v = a[row][n];
            for (int k = row + 1; k < n; k++) {
                v -= a[row][k] * x[k];
            }
            x[row] = v / a[row][row];
        }
        return x;
    }
}
