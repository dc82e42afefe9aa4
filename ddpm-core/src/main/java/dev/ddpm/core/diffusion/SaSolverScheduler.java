package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.PredictionType;

import java.util.function.IntToDoubleFunction;

/**
 * SA-Solver, Xue et al. 2023 ("SA-Solver: Stochastic Adams Solver for Fast Sampling of Diffusion
 * Models"), data-prediction form, orders 1-3, as diffusers' {@code SASolverScheduler} with
 * {@code algorithm_type = "data_prediction"}, predictor and corrector of the request's order,
 * {@code lower_order_final} and the default {@link #defaultTau tau}.
 *
 * <p>It solves the paper's variance-controlled diffusion SDE, dx = [f x - (1 + tau^2) / 2 g^2 grad log p] dt
 * + tau g dw, whose marginals are the data's for every tau(t) >= 0: tau = 0 is the probability-flow ODE,
 * tau = 1 the reverse SDE of Song et al. In lambda_t = log(alpha_t / sigma_t), with h = lambda_t -
 * lambda_s and tau constant over a step, its solution in terms of the data prediction x0(x_lambda, lambda)
 * is x_t = e^{-tau^2 h} (sigma_t / sigma_s) x_s + sigma_t e^{-tau^2 lambda_t} int_{lambda_s}^{lambda_t}
 * (1 + tau^2) e^{(1 + tau^2) lambda} x0 dlambda + sigma_t sqrt(1 - e^{-2 tau^2 h}) xi. Both halves of a
 * step replace x0 in the integral by the Lagrange polynomial through earlier data predictions, as the
 * Adams methods do for ODEs, so that the integral becomes weights b_k of those predictions ({@link
 * #gradientCoefficients}):
 *
 * <ul>
 *   <li>the SA-Predictor ({@link #stochasticAdamsBashforthUpdate}, explicit) steps from t_i to t_{i+1}
 *       through the predictions at t_i, t_{i-1}, ...;
 *   <li>the SA-Corrector ({@link #stochasticAdamsMoultonUpdate}, implicit in form, but free: the next
 *       call's model output is the prediction at t_{i+1}) redoes that step, from the same x_{t_i} with
 *       the same noise, through the predictions at t_{i+1}, t_i, ....
 * </ul>
 *
 * Each call, as in diffusers' {@code step()}, first corrects the sample it is given with the model output
 * just computed at it, then predicts the next sample from the corrected one. Orders ramp up over the first
 * steps while the history fills and fall at the end ({@code lower_order_final}): the last step, to clean
 * data, is a first-order predictor, whose limit as sigma_t goes to 0 is the data prediction m_0 itself, so
 * that step returns m_0 as the other solvers' do (diffusers' last step lands on the noise level of t = 0
 * instead, sigma_0 = sqrt(beta_0), about 0.01 for the linear schedule).
 *
 * <p>Each step's noise xi is the image's draw for that step's timestep, {@code noise.draw(t, length)}; the
 * corrector of the next call reuses the same draw, as diffusers' {@code last_noise} does. A step with tau =
 * 0 and the step to clean data add no noise and draw none.
 */
public final class SaSolverScheduler extends OdeSolverScheduler {

    /**
     * The default tau is 1 on the timesteps [{@value #STOCHASTIC_FROM}, {@value #STOCHASTIC_TO}] of a T =
     * {@value #REFERENCE_TIMESTEPS} model, else 0; other T scale the range.
     */
    static final int STOCHASTIC_FROM = 200;

    static final int STOCHASTIC_TO = 800;
    static final int REFERENCE_TIMESTEPS = 1000;

    private final int order;
    private final IntToDoubleFunction tau;
    private final PredictionHistory history = new PredictionHistory();
    /** The sample the last predictor started from, x_{t_{i-1}}, which the corrector steps from again. */
    private float[] lastSample;
    /** The noise the last predictor added (null when it added none), which the corrector adds again. */
    private float[] lastNoise;

    private double lastTau;
    private int lastCorrectorOrder;
    private int lowerOrderSteps;

    public SaSolverScheduler(
            NoiseSchedule schedule,
            PredictionType predictionType,
            int order,
            Thresholding thresholding,
            TimestepSpacing spacing) {
        this(schedule, predictionType, order, thresholding, spacing, t -> defaultTau(t, schedule.timesteps()));
    }

    /** @param tau the stochasticity tau of the step that starts at timestep t, for tests (0 everywhere: the ODE) */
    SaSolverScheduler(
            NoiseSchedule schedule,
            PredictionType predictionType,
            int order,
            Thresholding thresholding,
            TimestepSpacing spacing,
            IntToDoubleFunction tau) {
        super(schedule, predictionType, thresholding, spacing);
        this.order = checkedOrder(SamplerKind.SA_SOLVER, order);
        this.tau = tau;
    }

    /**
     * diffusers' default {@code tau_func}: 1 for {@value #STOCHASTIC_FROM} <= t <= {@value #STOCHASTIC_TO},
     * else 0: the paper's choice of a tau that is positive in the middle of sampling and 0 at its start and end,
     * after Karras et al. (2022), who found fresh noise useful only in a middle range of noise levels (their
     * S_tmin..S_tmax): near x_T the sample is almost all noise already, and near x_0 the network cannot
     * remove the noise a step adds, which then stays in the image. diffusers' bounds are timesteps of a T =
     * 1000 model; for another T they keep their share of it (t / T in [0.2, 0.8]).
     */
    static double defaultTau(int t, int timesteps) {
        double scaled = (double) t * REFERENCE_TIMESTEPS / timesteps;
        return scaled >= STOCHASTIC_FROM && scaled <= STOCHASTIC_TO ? 1.0 : 0.0;
    }

    @Override
    protected boolean multistep() {
        return true;
    }

    @Override
    protected void reset() {
        history.clear();
        lastSample = null;
        lastNoise = null;
        lastTau = 0;
        lastCorrectorOrder = 0;
        lowerOrderSteps = 0;
    }

    @Override
    public StepResult step(float[] modelOutput, int t, float[] sample, GaussianNoise noise) {
        expect(t);
        int i = calls;
        float[] mt = dataPrediction(modelOutput, sample, t);
        float[] x = sample;
        if (lastSample != null) {
            // The history's newest is still m0, the prediction at the timestep the last predictor left.
            x = stochasticAdamsMoultonUpdate(
                    lastSample, level(i - 1), level(i), history, mt, lastCorrectorOrder, lastTau, lastNoise);
        }
        history.push(mt, level(i).lambda());

        // diffusers' step(): warm up through the lower orders while the history fills (lower_order_nums), and
        // step to the end at lower orders (lower_order_final); the corrector, one prediction richer, goes one
        // order higher during the warm-up. The corrector's order is the next call's.
        int n = levels().length;
        int predictorOrder = Math.min(Math.min(order, n - i), lowerOrderSteps + 1);
        lastCorrectorOrder = Math.min(Math.min(order, n - i + 1), lowerOrderSteps + 2);
        NoiseLevel target = level(i + 1);
        double stepTau = tau.applyAsDouble(t);
        float[] z = target.clean() || stepTau == 0 ? null : noise.draw(t, sample.length);
        lastSample = x;
        lastNoise = z;
        lastTau = stepTau;
        float[] next = stochasticAdamsBashforthUpdate(x, level(i), target, history, predictorOrder, stepTau, z);
        if (lowerOrderSteps < order) {
            lowerOrderSteps++;
        }
        calls++;
        return new StepResult(next, mt);
    }

    /**
     * The SA-Predictor, diffusers' {@code stochastic_adams_bashforth_update}: x_t from {@code sample} at
     * {@code s0}, through the Lagrange polynomial of the history's newest p predictions m_0 (made at s0),
     * ..., m_{p-1}. To clean data it returns m_0 (diffusers' first-order step as sigma_t goes to 0).
     *
     * @param order p, 1-3; 1 for the step to clean data
     * @param z     the step's noise; null when tau = 0 or t is clean data, which add none
     */
    static float[] stochasticAdamsBashforthUpdate(
            float[] sample, NoiseLevel s0, NoiseLevel t, PredictionHistory history, int order, double tau, float[] z) {
        float[] m0 = history.prediction(0);
        if (t.clean()) {
            // sigma_t = 0, h = infinity: the sample and noise terms vanish and alpha_t (1 + tau^2) b_0 -> 1.
            return m0.clone();
        }
        double[] nodes = new double[order];
        float[][] predictions = new float[order][];
        for (int k = 0; k < order; k++) {
            nodes[k] = history.lambda(k);
            predictions[k] = history.prediction(k);
        }
        double[] b = gradientCoefficients(s0.lambda(), t.lambda(), nodes, tau);
        if (order == 2) {
            // diffusers' few-step modification (after UniPC's B(h)): moves an O(h^3) amount of weight from m_1
            // to m_0, (h^2 / 2 - (c h - 1 + e^{-c h}) / c^2) / (lambda_s0 - lambda_s1) with c = 1 + tau^2; the
            // order is unchanged, and the authors found the images slightly better.
            double c = 1 + tau * tau;
            double h = t.lambda() - s0.lambda();
            double shift = (h * h / 2 - (c * h + Math.expm1(-c * h)) / (c * c)) / (nodes[0] - nodes[1]);
            b[0] += shift;
            b[1] -= shift;
        }
        return sdeStep(sample, s0, t, tau, b, predictions, z);
    }

    /**
     * The SA-Corrector, diffusers' {@code stochastic_adams_moulton_update}: x_t again from {@code lastSample}
     * at {@code s0}, where the last predictor started, with its noise {@code lastNoise}, now through the
     * Lagrange polynomial of {@code mt}, the data prediction at t itself, and the history's newest p - 1
     * predictions m_0 (made at s0), .... The history does not hold mt yet.
     *
     * @param order     p, 1-3
     * @param tau       the tau of the predictor step being corrected
     * @param lastNoise that step's noise; null when it added none
     */
    static float[] stochasticAdamsMoultonUpdate(
            float[] lastSample,
            NoiseLevel s0,
            NoiseLevel t,
            PredictionHistory history,
            float[] mt,
            int order,
            double tau,
            float[] lastNoise) {
        double[] nodes = new double[order];
        float[][] predictions = new float[order][];
        nodes[0] = t.lambda();
        predictions[0] = mt;
        for (int k = 1; k < order; k++) {
            nodes[k] = history.lambda(k - 1);
            predictions[k] = history.prediction(k - 1);
        }
        double[] b = gradientCoefficients(s0.lambda(), t.lambda(), nodes, tau);
        if (order == 2) {
            // diffusers' few-step modification, as the predictor's: (h / 2 - (c h - 1 + e^{-c h}) / (c^2 h))
            // from m_0 to mt, with c = 1 + tau^2 (here lambda_t - lambda_s0 = h).
            double c = 1 + tau * tau;
            double h = t.lambda() - s0.lambda();
            double shift = h / 2 - (c * h + Math.expm1(-c * h)) / (c * c * h);
            b[0] += shift;
            b[1] -= shift;
        }
        return sdeStep(lastSample, s0, t, tau, b, predictions, lastNoise);
    }

    /**
     * The step both updates take once the integral is a weighted sum: x_t = e^{-tau^2 h} (sigma_t / sigma_s)
     * x_s + (1 + tau^2) alpha_t sum_k b_k m_k + sigma_t sqrt(1 - e^{-2 tau^2 h}) z. (diffusers' weight of m_k,
     * (1 + tau^2) sigma_t e^{-tau^2 lambda_t} times their unscaled integral, is this one: the integral is
     * e^{(1 + tau^2) lambda_t} b_k, and sigma_t e^{lambda_t} = alpha_t.)
     */
    private static float[] sdeStep(
            float[] sample, NoiseLevel s, NoiseLevel t, double tau, double[] b, float[][] predictions, float[] z) {
        double tau2 = tau * tau;
        double h = t.lambda() - s.lambda();
        double sampleWeight = Math.exp(-tau2 * h) * t.sigma() / s.sigma(); // e^{-tau^2 h} sigma_t / sigma_s
        double[] weights = new double[b.length];
        for (int k = 0; k < b.length; k++) {
            weights[k] = (1 + tau2) * t.alpha() * b[k]; // (1 + tau^2) alpha_t b_k
        }
        float[] xt = combine(sampleWeight, sample, weights, predictions);
        if (z != null) {
            double noiseWeight = t.sigma() * Math.sqrt(-Math.expm1(-2 * tau2 * h)); // sigma_t sqrt(1 - e^{-2 tau^2 h})
            for (int i = 0; i < xt.length; i++) {
                xt[i] = (float) (xt[i] + noiseWeight * z[i]);
            }
        }
        return xt;
    }

    /**
     * diffusers' {@code get_coefficients_fn} (data prediction): the weights b_k = int_{lambda_s}^{lambda_t}
     * e^{(1 + tau^2) (lambda - lambda_t)} l_k(lambda) dlambda of the Lagrange basis polynomials l_k through
     * {@code nodes} (l_k = 1 at node k, 0 at the others), so that the exponential integrator's integral of
     * the polynomial through the predictions m_k is e^{(1 + tau^2) lambda_t} sum_k b_k m_k. As diffusers'
     * {@code lagrange_polynomial_coefficient} and {@code get_coefficients_exponential_positive}, it expands
     * each l_k in powers and integrates those in closed form, here in u = lambda - lambda_t, where the
     * exponential is at most 1.
     */
    static double[] gradientCoefficients(double lambdaS, double lambdaT, double[] nodes, double tau) {
        double c = 1 + tau * tau;
        double[] powerIntegrals = exponentialIntegrals(nodes.length - 1, lambdaT - lambdaS, c);
        double[] b = new double[nodes.length];
        for (int k = 0; k < nodes.length; k++) {
            double[] lk = lagrangeBasis(nodes, k, lambdaT);
            for (int p = 0; p < lk.length; p++) {
                b[k] += lk[p] * powerIntegrals[p];
            }
        }
        return b;
    }

    /**
     * The coefficients of l_k(u) = prod_{j != k} (u - u_j) / (u_k - u_j) in ascending powers of u = lambda -
     * {@code origin}, u_j = nodes[j] - origin.
     */
    private static double[] lagrangeBasis(double[] nodes, int k, double origin) {
        double[] poly = new double[nodes.length];
        poly[0] = 1;
        int degree = 0;
        for (int j = 0; j < nodes.length; j++) {
            if (j == k) {
                continue;
            }
            double uj = nodes[j] - origin;
            double scale = 1 / (nodes[k] - nodes[j]);
            // poly <- poly (u - u_j) / (u_k - u_j)
            for (int p = degree + 1; p >= 0; p--) {
                double shifted = p > 0 ? poly[p - 1] : 0;
                poly[p] = (shifted - uj * poly[p]) * scale;
            }
            degree++;
        }
        return poly;
    }

    /**
     * I_p = int_{-h}^{0} u^p e^{c u} du for p = 0..{@code maxPower}, diffusers'
     * {@code get_coefficients_exponential_positive} over [lambda_s, lambda_t] with e^{c lambda_t} taken out: by
     * parts, I_0 = (1 - e^{-c h}) / c and I_p = (-(-h)^p e^{-c h} - p I_{p-1}) / c.
     */
    private static double[] exponentialIntegrals(int maxPower, double h, double c) {
        double[] integrals = new double[maxPower + 1];
        double decay = Math.exp(-c * h);
        integrals[0] = -Math.expm1(-c * h) / c;
        for (int p = 1; p <= maxPower; p++) {
            integrals[p] = (-Math.pow(-h, p) * decay - p * integrals[p - 1]) / c;
        }
        return integrals;
    }
}
