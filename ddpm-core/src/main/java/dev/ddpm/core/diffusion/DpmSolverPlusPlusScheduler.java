package dev.ddpm.core.diffusion;

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
 * order 3 ("3M") the second difference as well; one method each, as diffusers have ({@link #firstOrderUpdate},
 * {@link #secondOrderUpdate}, {@link #thirdOrderUpdate}). The first steps use lower orders (no history yet),
 * and the last step, to clean data (final sigma zero, lambda = infinity), is first order: it returns
 * m_0. With fewer than 15 steps the one before the last is at most second order
 * ({@code lower_order_final}).
 *
 * <p>The stochastic variant is SDE-DPM-Solver++ (Lu et al. 2022, appendix B; diffusers'
 * {@code algorithm_type = "sde-dpmsolver++"}, "DPM++ 2M SDE"): the same data-prediction multistep
 * differences applied to the reverse SDE, x_t = (sigma_t / sigma_s) e^{-h} x_s + alpha_t (1 - e^{-2h})
 * m_0 + ... + sigma_t sqrt(1 - e^{-2h}) z, z the image's noise for this step. Each step forgets part of
 * x_s and puts fresh noise in its place, which corrects errors of an imperfect network on the way
 * instead of carrying them to the end as the ODE does. It runs on the same timestep grid.
 */
public final class DpmSolverPlusPlusScheduler extends OdeSolverScheduler {

    /** diffusers' bound below which the last steps use lower orders. */
    static final int LOWER_ORDER_FINAL_BELOW = 15;

    private final int order;
    private final boolean stochastic;
    private final PredictionHistory history = new PredictionHistory();
    private int lowerOrderSteps;

    /** DPM-Solver++ (the ODE). */
    public DpmSolverPlusPlusScheduler(
            NoiseSchedule schedule,
            PredictionType predictionType,
            int order,
            Thresholding thresholding,
            TimestepSpacing spacing) {
        this(schedule, predictionType, order, thresholding, spacing, false);
    }

    /** @param stochastic SDE-DPM-Solver++ (the reverse SDE) rather than DPM-Solver++ (the ODE) */
    public DpmSolverPlusPlusScheduler(
            NoiseSchedule schedule,
            PredictionType predictionType,
            int order,
            Thresholding thresholding,
            TimestepSpacing spacing,
            boolean stochastic) {
        super(schedule, predictionType, thresholding, spacing);
        this.order = checkedOrder(stochastic ? SamplerKind.DPM_SOLVER_PP_SDE : SamplerKind.DPM_SOLVER_PP, order);
        this.stochastic = stochastic;
    }

    @Override
    protected boolean multistep() {
        return true;
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

        // diffusers' step(): warm up through the lower orders while the history fills (lower_order_nums),
        // and step to the end at lower orders (lower_order_final, lower_order_second).
        int n = levels().length;
        boolean lowerOrderFinal = i == n - 1;
        boolean lowerOrderSecond = i == n - 2 && n < LOWER_ORDER_FINAL_BELOW;
        NoiseLevel s0 = level(i);
        NoiseLevel target = level(i + 1);
        // The SDE's fresh noise for this step, keyed by its timestep; the step to clean data adds none.
        float[] z = stochastic && !target.clean() ? noise.draw(t, sample.length) : null;
        float[] next;
        if (order == 1 || lowerOrderSteps < 1 || lowerOrderFinal) {
            next = stochastic
                    ? sdeFirstOrderUpdate(sample, s0, target, m0, z)
                    : firstOrderUpdate(sample, s0, target, m0);
        } else if (order == 2 || lowerOrderSteps < 2 || lowerOrderSecond) {
            next = stochastic
                    ? sdeSecondOrderUpdate(sample, s0, target, history, z)
                    : secondOrderUpdate(sample, s0, target, history);
        } else {
            next = stochastic
                    ? sdeThirdOrderUpdate(sample, s0, target, history, z)
                    : thirdOrderUpdate(sample, s0, target, history);
        }
        if (lowerOrderSteps < order) {
            lowerOrderSteps++;
        }
        calls++;
        return new StepResult(next, m0);
    }

    /**
     * diffusers' {@code dpm_solver_first_order_update}: DPM-Solver++(1), eq. 9 of Lu et al.
     * (2022), DDIM with eta = 0. {@code m0} is the data prediction at {@code s0}.
     */
    static float[] firstOrderUpdate(float[] sample, NoiseLevel s0, NoiseLevel t, float[] m0) {
        if (t.clean()) {
            // sigma_t = 0, alpha_t = 1, h = infinity: x_t = 0 * sample - 1 * (0 - 1) * m0.
            return m0.clone();
        }
        double h = t.lambda() - s0.lambda();
        double ratio = t.sigma() / s0.sigma(); // sigma_t / sigma_s
        double expm1 = Math.expm1(-h); // e^{-h} - 1
        float[] xt = new float[sample.length];
        for (int i = 0; i < xt.length; i++) {
            // x_t = (sigma_t / sigma_s) sample - alpha_t (e^{-h} - 1) m0
            xt[i] = (float) (ratio * sample[i] - t.alpha() * expm1 * m0[i]);
        }
        return xt;
    }

    /**
     * diffusers' {@code multistep_dpm_solver_second_order_update}, solver_type midpoint:
     * DPM-Solver++(2M), Algorithm 2 of Lu et al. (2022), from m0 at {@code s0} (the history's
     * newest) and m1 one step earlier. {@code t} is never clean data: that step is first order.
     */
    static float[] secondOrderUpdate(float[] sample, NoiseLevel s0, NoiseLevel t, PredictionHistory history) {
        float[] m0 = history.prediction(0);
        float[] m1 = history.prediction(1);
        double h = t.lambda() - s0.lambda(); // h = lambda_t - lambda_s0
        double h0 = s0.lambda() - history.lambda(1); // h_0 = lambda_s0 - lambda_s1
        double r0 = h0 / h;
        double ratio = t.sigma() / s0.sigma(); // sigma_t / sigma_s0
        double expm1 = Math.expm1(-h); // e^{-h} - 1
        float[] xt = new float[sample.length];
        for (int i = 0; i < xt.length; i++) {
            double d0 = m0[i]; // D0 = m0
            double d1 = (m0[i] - m1[i]) / r0; // D1 = (1 / r0) (m0 - m1)
            // x_t = (sigma_t / sigma_s0) sample - alpha_t (e^{-h} - 1) D0 - 0.5 alpha_t (e^{-h} - 1) D1
            xt[i] = (float) (ratio * sample[i] - t.alpha() * expm1 * d0 - 0.5 * t.alpha() * expm1 * d1);
        }
        return xt;
    }

    /**
     * diffusers' {@code multistep_dpm_solver_third_order_update}: DPM-Solver++(3M), from m0 at
     * {@code s0} (the history's newest), m1 and m2 one and two steps earlier. From the two backward
     * differences D1_0 and D1_1, D1 estimates h x0' and D2 h^2 x0'' / 2, x0' and x0'' the derivatives
     * of the data prediction in lambda. D2's weight is the one that integrates h^2 x0'' (the Taylor
     * term without its 1/2), in diffusers as in Lu et al.'s own code, and is kept so that the numbers
     * stay diffusers': the update is exact for data predictions linear in lambda but not quadratic, so a
     * step's local error is O(h^3), as 2M's, with a smaller constant. {@code t} is never clean data:
     * that step is first order.
     */
    static float[] thirdOrderUpdate(float[] sample, NoiseLevel s0, NoiseLevel t, PredictionHistory history) {
        float[] m0 = history.prediction(0);
        float[] m1 = history.prediction(1);
        float[] m2 = history.prediction(2);
        double h = t.lambda() - s0.lambda(); // h = lambda_t - lambda_s0
        double h0 = s0.lambda() - history.lambda(1); // h_0 = lambda_s0 - lambda_s1
        double h1 = history.lambda(1) - history.lambda(2); // h_1 = lambda_s1 - lambda_s2
        double r0 = h0 / h;
        double r1 = h1 / h;
        double ratio = t.sigma() / s0.sigma(); // sigma_t / sigma_s0
        double expm1 = Math.expm1(-h); // e^{-h} - 1
        double d1Weight = t.alpha() * (expm1 / h + 1.0); // alpha_t ((e^{-h} - 1) / h + 1)
        double d2Weight = t.alpha() * ((expm1 + h) / (h * h) - 0.5); // alpha_t ((e^{-h} - 1 + h) / h^2 - 0.5)
        float[] xt = new float[sample.length];
        for (int i = 0; i < xt.length; i++) {
            double d0 = m0[i]; // D0 = m0
            double d10 = (m0[i] - m1[i]) / r0; // D1_0 = (1 / r0) (m0 - m1)
            double d11 = (m1[i] - m2[i]) / r1; // D1_1 = (1 / r1) (m1 - m2)
            double d1 = d10 + r0 / (r0 + r1) * (d10 - d11); // D1 = D1_0 + (r0 / (r0 + r1)) (D1_0 - D1_1)
            double d2 = (d10 - d11) / (r0 + r1); // D2 = (1 / (r0 + r1)) (D1_0 - D1_1)
            // x_t = (sigma_t / sigma_s0) sample - alpha_t (e^{-h} - 1) D0 + alpha_t ((e^{-h} - 1) / h + 1) D1
            //       - alpha_t ((e^{-h} - 1 + h) / h^2 - 0.5) D2
            xt[i] = (float) (ratio * sample[i] - t.alpha() * expm1 * d0 + d1Weight * d1 - d2Weight * d2);
        }
        return xt;
    }

    /**
     * diffusers' {@code dpm_solver_first_order_update}, sde-dpmsolver++: one step of the reverse SDE
     * with the data prediction m0 held constant, x_t = (sigma_t / sigma_s) e^{-h} x_s + alpha_t
     * (1 - e^{-2h}) m0 + sigma_t sqrt(1 - e^{-2h}) z. To clean data (h = infinity) it is m0.
     */
    static float[] sdeFirstOrderUpdate(float[] sample, NoiseLevel s0, NoiseLevel t, float[] m0, float[] z) {
        if (t.clean()) {
            return m0.clone();
        }
        double h = t.lambda() - s0.lambda();
        SdeWeights w = new SdeWeights(s0, t, h);
        float[] xt = new float[sample.length];
        for (int i = 0; i < xt.length; i++) {
            // x_t = (sigma_t / sigma_s e^{-h}) x_s + alpha_t (1 - e^{-2h}) m0 + sigma_t sqrt(1 - e^{-2h}) z
            xt[i] = (float) (w.sample * sample[i] + w.d0 * m0[i] + w.noise * z[i]);
        }
        return xt;
    }

    /**
     * diffusers' {@code multistep_dpm_solver_second_order_update}, sde-dpmsolver++, solver_type
     * midpoint ("DPM++ 2M SDE"): the first-order SDE step plus 0.5 alpha_t (1 - e^{-2h}) D1, D1 = (m0 -
     * m1) / r0. {@code t} is never clean data: that step is first order.
     */
    static float[] sdeSecondOrderUpdate(
            float[] sample, NoiseLevel s0, NoiseLevel t, PredictionHistory history, float[] z) {
        float[] m0 = history.prediction(0);
        float[] m1 = history.prediction(1);
        double h = t.lambda() - s0.lambda();
        double r0 = (s0.lambda() - history.lambda(1)) / h; // r0 = h_0 / h
        SdeWeights w = new SdeWeights(s0, t, h);
        float[] xt = new float[sample.length];
        for (int i = 0; i < xt.length; i++) {
            double d1 = (m0[i] - m1[i]) / r0; // D1 = (1 / r0) (m0 - m1)
            // x_t = ... + alpha_t (1 - e^{-2h}) D0 + 0.5 alpha_t (1 - e^{-2h}) D1 + sigma_t sqrt(1 - e^{-2h}) z
            xt[i] = (float) (w.sample * sample[i] + w.d0 * m0[i] + 0.5 * w.d0 * d1 + w.noise * z[i]);
        }
        return xt;
    }

    /**
     * diffusers' {@code multistep_dpm_solver_third_order_update}, sde-dpmsolver++: D1 and D2 as in
     * {@link #thirdOrderUpdate}, weighted alpha_t ((1 - e^{-2h}) / (-2h) + 1) and alpha_t ((1 - e^{-2h}
     * - 2h) / (2h)^2 - 0.5). {@code t} is never clean data: that step is first order.
     */
    static float[] sdeThirdOrderUpdate(
            float[] sample, NoiseLevel s0, NoiseLevel t, PredictionHistory history, float[] z) {
        float[] m0 = history.prediction(0);
        float[] m1 = history.prediction(1);
        float[] m2 = history.prediction(2);
        double h = t.lambda() - s0.lambda();
        double r0 = (s0.lambda() - history.lambda(1)) / h; // r0 = h_0 / h
        double r1 = (history.lambda(1) - history.lambda(2)) / h; // r1 = h_1 / h
        SdeWeights w = new SdeWeights(s0, t, h);
        double oneMinusE2h = -Math.expm1(-2 * h); // 1 - e^{-2h}
        double d1Weight = t.alpha() * (oneMinusE2h / (-2 * h) + 1.0);
        double d2Weight = t.alpha() * ((oneMinusE2h - 2 * h) / (4 * h * h) - 0.5);
        float[] xt = new float[sample.length];
        for (int i = 0; i < xt.length; i++) {
            double d10 = (m0[i] - m1[i]) / r0; // D1_0 = (1 / r0) (m0 - m1)
            double d11 = (m1[i] - m2[i]) / r1; // D1_1 = (1 / r1) (m1 - m2)
            double d1 = d10 + r0 / (r0 + r1) * (d10 - d11); // D1 = D1_0 + (r0 / (r0 + r1)) (D1_0 - D1_1)
            double d2 = (d10 - d11) / (r0 + r1); // D2 = (1 / (r0 + r1)) (D1_0 - D1_1)
            xt[i] = (float) (w.sample * sample[i] + w.d0 * m0[i] + d1Weight * d1 + d2Weight * d2 + w.noise * z[i]);
        }
        return xt;
    }

    /** The weights every SDE-DPM-Solver++ step gives x_s, D0 = m0 and the noise z. */
    private record SdeWeights(double sample, double d0, double noise) {
        SdeWeights(NoiseLevel s0, NoiseLevel t, double h) {
            this(
                    t.sigma() / s0.sigma() * Math.exp(-h), // sigma_t / sigma_s e^{-h}
                    t.alpha() * -Math.expm1(-2 * h), // alpha_t (1 - e^{-2h})
                    t.sigma() * Math.sqrt(-Math.expm1(-2 * h))); // sigma_t sqrt(1 - e^{-2h})
        }
    }
}
