package dev.ddpm.core.diffusion;

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

    public UniPcScheduler(
            NoiseSchedule schedule,
            PredictionType predictionType,
            int order,
            Thresholding thresholding,
            TimestepSpacing spacing) {
        super(schedule, predictionType, thresholding, spacing);
        this.order = checkedOrder(SamplerKind.UNIPC, order);
    }

    @Override
    protected boolean multistep() {
        return true;
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
        float[] mt = dataPrediction(modelOutput, sample, t);
        float[] x = sample;
        if (lastSample != null) {
            // The history's newest is still m0, the prediction at the timestep the last predictor left.
            x = correctorUpdate(lastSample, level(i - 1), level(i), history, mt, lastOrder);
        }
        history.push(mt, level(i).lambda());

        int stepOrder = Math.min(Math.min(order, levels().length - i), lowerOrderSteps + 1);
        lastSample = x;
        lastOrder = stepOrder;
        float[] next = predictorUpdate(x, level(i), level(i + 1), history, stepOrder);
        if (lowerOrderSteps < order) {
            lowerOrderSteps++;
        }
        calls++;
        return new StepResult(next, mt);
    }

    /**
     * UniP-p, Algorithm 1 of Zhao et al. (2023), diffusers' {@code multistep_uni_p_bh_update}: x_t from
     * {@code sample} at {@code s0}, where the history's newest prediction m0 was made, and the p - 1
     * predictions before it.
     *
     * @param order p, 1-3: the p - 1 earlier predictions it uses
     */
    static float[] predictorUpdate(float[] sample, NoiseLevel s0, NoiseLevel t, PredictionHistory history, int order) {
        float[] m0 = history.prediction(0);
        if (t.clean()) {
            // sigma_t = 0, alpha_t = 1, h = infinity: e^{-h} - 1 = B(h) = -1 and the step is first order.
            return m0.clone();
        }
        double h = t.lambda() - s0.lambda();
        double[] rks = history.ratios(h, order); // r_k = (lambda_{s_k} - lambda_s0) / h, then 1
        double hPhi1 = Math.expm1(-h); // h phi_1 = e^{hh} - 1, hh = -h (data prediction)
        double bH = hPhi1; // B(h) of bh2
        // rho_p solves the leading (p - 1) x (p - 1) block of R rho = b; for p = 2 diffusers take 1/2.
        double[] rhosP = order == 1
                ? new double[0]
                : order == 2 ? new double[] {0.5} : solve(orderConditions(h, rks, order), order - 1);
        double ratio = t.sigma() / s0.sigma(); // sigma_t / sigma_s0
        float[] xt = new float[sample.length];
        for (int i = 0; i < xt.length; i++) {
            // pred_res = sum_k rho_p[k] D1_k, D1_k = (m_k - m0) / r_k
            double predRes = 0;
            for (int k = 0; k < rhosP.length; k++) {
                predRes += rhosP[k] * (history.prediction(k + 1)[i] - m0[i]) / rks[k];
            }
            // x_t = (sigma_t / sigma_s0) x - alpha_t h phi_1 m0 - alpha_t B(h) pred_res
            xt[i] = (float) (ratio * sample[i] - t.alpha() * hPhi1 * m0[i] - t.alpha() * bH * predRes);
        }
        return xt;
    }

    /**
     * UniC-p, Algorithm 2 of Zhao et al. (2023), diffusers' {@code multistep_uni_c_bh_update}: corrects
     * x_t, which the last UniP-p made from {@code lastSample} at {@code s0}, with {@code mt}, the data
     * prediction at t itself. The history's newest prediction is m0 at s0, and mt is not in it yet.
     *
     * @param order p, the order of the predictor being corrected; the corrector's accuracy is p + 1
     */
    static float[] correctorUpdate(
            float[] lastSample, NoiseLevel s0, NoiseLevel t, PredictionHistory history, float[] mt, int order) {
        float[] m0 = history.prediction(0);
        double h = t.lambda() - s0.lambda();
        double[] rks = history.ratios(h, order); // r_k = (lambda_{s_k} - lambda_s0) / h, then 1 for t
        double hPhi1 = Math.expm1(-h); // h phi_1 = e^{hh} - 1, hh = -h (data prediction)
        double bH = hPhi1; // B(h) of bh2
        // rho_c solves the whole p x p R rho = b, the last column for D1_t; for p = 1 diffusers take 1/2.
        double[] rhosC = order == 1 ? new double[] {0.5} : solve(orderConditions(h, rks, order), order);
        double rhoT = rhosC[order - 1];
        double ratio = t.sigma() / s0.sigma(); // sigma_t / sigma_s0
        float[] xt = new float[lastSample.length];
        for (int i = 0; i < xt.length; i++) {
            // corr_res = sum_{k < p-1} rho_c[k] D1_k, D1_k = (m_k - m0) / r_k
            double corrRes = 0;
            for (int k = 0; k < order - 1; k++) {
                corrRes += rhosC[k] * (history.prediction(k + 1)[i] - m0[i]) / rks[k];
            }
            double d1t = mt[i] - m0[i]; // D1_t = m_t - m0
            // x_t = (sigma_t / sigma_s0) x - alpha_t h phi_1 m0 - alpha_t B(h) (corr_res + rho_c[-1] D1_t)
            xt[i] = (float)
                    (ratio * lastSample[i] - t.alpha() * hPhi1 * m0[i] - t.alpha() * bH * (corrRes + rhoT * d1t));
        }
        return xt;
    }

    /** The linear system R rho = b whose solution gives UniPC its order (eq. 8 of Zhao et al. 2023). */
    private record OrderConditions(double[][] R, double[] b) {}

    /**
     * R_{q,k} = r_k^q and b_q = h phi_{q+1} q! / B(h) for q = 0..p-1, diffusers' recursion with hh = -h
     * (h_phi_k, factorial_i) for the rks r_1..r_{p-1}, 1.
     */
    private static OrderConditions orderConditions(double h, double[] rks, int p) {
        double hh = -h;
        double hPhi1 = Math.expm1(hh);
        double bH = hPhi1;
        double hPhiK = hPhi1 / hh - 1;
        double factorial = 1;
        double[][] R = new double[p][p];
        double[] b = new double[p];
        for (int q = 1; q <= p; q++) {
            for (int k = 0; k < p; k++) {
                R[q - 1][k] = Math.pow(rks[k], q - 1);
            }
            b[q - 1] = hPhiK * factorial / bH;
            factorial *= q + 1;
            hPhiK = hPhiK / hh - 1 / factorial;
        }
        return new OrderConditions(R, b);
    }

    /** Solves the leading n x n block of R rho = b (n <= 3) by Gaussian elimination with pivoting. */
    private static double[] solve(OrderConditions conditions, int n) {
        double[][] R = conditions.R();
        double[] b = conditions.b();
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
