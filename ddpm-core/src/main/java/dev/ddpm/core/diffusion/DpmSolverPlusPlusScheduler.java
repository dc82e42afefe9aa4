package dev.ddpm.core.diffusion;

import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.model.PredictionType;

/**
 * DPM-Solver++ multistep, Lu et al. 2022 ("DPM-Solver++: Fast Solver for Guided Sampling of
 * Diffusion Probabilistic Models"), data-prediction form, orders 1-3, as diffusers'
 * {@code DPMSolverMultistepScheduler} (algorithm_type dpmsolver++, solver_type midpoint).
 *
 * <p>With h_i = lambda_{t_i} - lambda_{t_{i-1}} and the data predictions m_j = x0_theta(x_{t_j}, t_j):
 * order 1 (eq. 9, identical to DDIM with eta = 0):
 * x_t = (sigma_t / sigma_s) x_s - alpha_t (e^{-h} - 1) m_0;
 * order 2 (Algorithm 2, "2M") adds the backward difference D_1 = (m_0 - m_1) / r_0, r_0 = h_0 / h;
 * order 3 ("3M") the second difference as well. The first steps use lower orders (no history yet),
 * and the last step, to clean data (final sigma zero, lambda = infinity), is first order: it returns
 * m_0. With fewer than 15 steps the one before the last is at most second order
 * ({@code lower_order_final}).
 */
public final class DpmSolverPlusPlusScheduler extends OdeSolverScheduler {

    /** diffusers' bound below which the last steps use lower orders. */
    static final int LOWER_ORDER_FINAL_BELOW = 15;

    private final int order;
    private final PredictionHistory history = new PredictionHistory();
    private int lowerOrderSteps;

    public DpmSolverPlusPlusScheduler(NoiseSchedule schedule, PredictionType predictionType, int order, boolean clipX0,
                                      TimestepSpacing spacing) {
        super(schedule, predictionType, clipX0, spacing);
        this.order = checkedOrder(SamplerKind.DPM_SOLVER_PP, order);
    }

    @Override
    protected void reset() {
        history.clear();
        lowerOrderSteps = 0;
    }

    @Override
    public StepResult step(float[] modelOutput, int t, float[] sample, GaussianNoise noise) {
        expect(t);
        int i = calls;
        float[] m0 = dataPrediction(modelOutput, sample, t);
        history.push(m0, level(i).lambda());

        int n = levels().length;
        boolean last = i == n - 1;
        boolean secondToLast = i == n - 2 && n < LOWER_ORDER_FINAL_BELOW;
        int stepOrder = order == 1 || lowerOrderSteps < 1 || last ? 1
                : order == 2 || lowerOrderSteps < 2 || secondToLast ? 2 : 3;

        NoiseLevel s = level(i);
        NoiseLevel target = level(i + 1);
        float[] next;
        if (target.clean()) {
            next = m0.clone(); // sigma_t = 0, alpha_t = 1, e^{-h} = 0
        } else {
            double h = target.lambda() - s.lambda();
            double ratio = target.sigma() / s.sigma();
            double phi1 = Math.expm1(-h);                         // e^{-h} - 1
            if (stepOrder == 1) {
                next = combine(ratio, sample, new double[]{-target.alpha() * phi1}, m0);
            } else if (stepOrder == 2) {
                // D_1 = (m_0 - m_1) / r_0; x_t = ratio x_s - alpha_t phi1 m_0 - 0.5 alpha_t phi1 D_1
                double r0 = (history.lambda(0) - history.lambda(1)) / h;
                double c = -0.5 * target.alpha() * phi1 / r0;
                next = combine(ratio, sample, new double[]{-target.alpha() * phi1 + c, -c}, m0, history.prediction(1));
            } else {
                double r0 = (history.lambda(0) - history.lambda(1)) / h;
                double r1 = (history.lambda(1) - history.lambda(2)) / h;
                // D1_0 = (m0 - m1) / r0, D1_1 = (m1 - m2) / r1,
                // D1 = D1_0 + r0 / (r0 + r1) (D1_0 - D1_1), D2 = (D1_0 - D1_1) / (r0 + r1)
                double c1 = target.alpha() * (phi1 / h + 1.0);                 // coefficient of D1 (+)
                double c2 = -target.alpha() * ((phi1 + h) / (h * h) - 0.5);    // coefficient of D2
                double wD10 = c1 * (1 + r0 / (r0 + r1)) + c2 / (r0 + r1);      // weight of D1_0
                double wD11 = -c1 * r0 / (r0 + r1) - c2 / (r0 + r1);           // weight of D1_1
                double a0 = -target.alpha() * phi1 + wD10 / r0;
                double a1 = -wD10 / r0 + wD11 / r1;
                double a2 = -wD11 / r1;
                next = combine(ratio, sample, new double[]{a0, a1, a2}, m0, history.prediction(1),
                        history.prediction(2));
            }
        }
        if (lowerOrderSteps < order) {
            lowerOrderSteps++;
        }
        calls++;
        return new StepResult(next, m0);
    }
}
