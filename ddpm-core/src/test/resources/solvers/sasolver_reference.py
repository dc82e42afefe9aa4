#!/usr/bin/env python3
"""Reference trajectories of SA-Solver (Xue et al. 2023), transcribed from diffusers' SASolverScheduler
(src/diffusers/schedulers/scheduling_sasolver.py, main) into numpy, independently of the Java code:
set_timesteps with timestep_spacing "linspace" and step() with algorithm_type "data_prediction",
predictor_order = corrector_order = order, lower_order_final = True and the default tau_func, in diffusers'
variables (VE sigmas, sigma -> alpha_t, sigma_t, lambda_t) and its coefficient formulas
(get_coefficients_exponential_positive, lagrange_polynomial_coefficient, get_coefficients_fn).

Differences from diffusers, shared with the Java code:
- the last step lands on clean data (final sigma zero) instead of diffusers' sigma of t = 0. That step is
  always a first-order predictor (lower_order_final), whose limit as sigma_t -> 0 is the data prediction
  itself; main() checks the limit against diffusers' formula with a tiny sigma_t;
- each step's noise is given (one array per timestep, stored in the JSON) instead of drawn by torch;
- numpy float64 throughout (diffusers stores its sigmas as float32).

The model is the exact denoiser of Gaussian data N(mu, s^2) per coordinate, T = 1000 linear betas
1e-4..0.02, giving eps or v. Run:
  python3 sasolver_reference.py > sasolver_reference.json
"""
import json
import numpy as np

T = 1000
betas = np.linspace(1e-4, 0.02, T, dtype=np.float64)
alphas_cumprod = np.cumprod(1.0 - betas)
all_sigmas = np.sqrt((1 - alphas_cumprod) / alphas_cumprod)  # VE sigma of each timestep
MU = np.array([0.3, -0.5, 0.1, 0.0])
S = np.array([0.4, 0.2, 0.7, 1.0])
X_T = np.array([1.2, -0.7, 0.4, -1.5])
NOISE_SEED = 20230911


def model(x, t, prediction_type):
    """What an exact network would output at (x_t, t): eps or v of E[x_0 | x_t] for N(MU, S^2) data."""
    abar = alphas_cumprod[t]
    a, s = np.sqrt(abar), np.sqrt(1 - abar)
    x0 = MU + a * S**2 / (a * a * S**2 + s * s) * (x - a * MU)
    eps = (x - a * x0) / s
    return eps if prediction_type == "epsilon" else a * eps - s * x0


def tau_func(t):  # diffusers' default
    return 1 if t >= 200 and t <= 800 else 0


def linspace_timesteps(n):  # set_timesteps, timestep_spacing "linspace", lambda_min_clipped = -inf
    return np.linspace(0, T - 1, n + 1).round()[::-1][:-1].copy().astype(np.int64)


def alpha_sigma(sigma):  # _sigma_to_alpha_sigma_t
    alpha_t = 1 / (sigma**2 + 1) ** 0.5
    return alpha_t, sigma * alpha_t


def lam(sigma):
    a, s = alpha_sigma(sigma)
    return np.log(a) - np.log(s)


def exponential_positive(order, start, end, tau):  # get_coefficients_exponential_positive
    end_cov = (1 + tau**2) * end
    start_cov = (1 + tau**2) * start
    if order == 0:
        return np.exp(end_cov) * (1 - np.exp(-(end_cov - start_cov))) / (1 + tau**2)
    if order == 1:
        return (np.exp(end_cov) * ((end_cov - 1) - (start_cov - 1) * np.exp(-(end_cov - start_cov)))
                / ((1 + tau**2) ** 2))
    if order == 2:
        return (np.exp(end_cov) * ((end_cov**2 - 2 * end_cov + 2)
                                   - (start_cov**2 - 2 * start_cov + 2) * np.exp(-(end_cov - start_cov)))
                / ((1 + tau**2) ** 3))
    raise ValueError(order)


def lagrange(order, ls):  # lagrange_polynomial_coefficient, order 0..2
    if order == 0:
        return [[1]]
    if order == 1:
        return [[1 / (ls[0] - ls[1]), -ls[1] / (ls[0] - ls[1])],
                [1 / (ls[1] - ls[0]), -ls[0] / (ls[1] - ls[0])]]
    d1 = (ls[0] - ls[1]) * (ls[0] - ls[2])
    d2 = (ls[1] - ls[0]) * (ls[1] - ls[2])
    d3 = (ls[2] - ls[0]) * (ls[2] - ls[1])
    return [[1 / d1, (-ls[1] - ls[2]) / d1, ls[1] * ls[2] / d1],
            [1 / d2, (-ls[0] - ls[2]) / d2, ls[0] * ls[2] / d2],
            [1 / d3, (-ls[0] - ls[1]) / d3, ls[0] * ls[1] / d3]]


def coefficients(order, start, end, ls, tau):  # get_coefficients_fn, data prediction
    lc = lagrange(order - 1, ls)
    return [sum(lc[i][j] * exponential_positive(order - 1 - j, start, end, tau) for j in range(order))
            for i in range(order)]


class SASolver:
    def __init__(self, n, order, prediction_type):
        self.timesteps = linspace_timesteps(n)
        self.sigmas = np.concatenate([all_sigmas[self.timesteps], [0.0]])  # final sigma zero, see above
        self.order = order
        self.prediction_type = prediction_type
        self.model_outputs = [None] * order  # max(predictor_order, corrector_order - 1)
        self.timestep_list = [None] * order
        self.lower_order_nums = 0
        self.last_sample = None
        self.last_noise = None
        self.step_index = 0

    def convert_model_output(self, model_output, sample):  # data_prediction
        alpha_t, sigma_t = alpha_sigma(self.sigmas[self.step_index])
        if self.prediction_type == "epsilon":
            return (sample - sigma_t * model_output) / alpha_t
        return alpha_t * sample - sigma_t * model_output  # v_prediction

    def predictor(self, x, noise, order, tau, sigma_t=None):  # stochastic_adams_bashforth_update
        sigma_t = self.sigmas[self.step_index + 1] if sigma_t is None else sigma_t
        sigma_s0 = self.sigmas[self.step_index]
        alpha_t, sigma_t = alpha_sigma(sigma_t)
        alpha_s0, sigma_s0 = alpha_sigma(sigma_s0)
        lambda_t, lambda_s0 = np.log(alpha_t) - np.log(sigma_t), np.log(alpha_s0) - np.log(sigma_s0)
        h = lambda_t - lambda_s0
        ls = [lam(self.sigmas[self.step_index - i]) for i in range(order)]
        c = coefficients(order, lambda_s0, lambda_t, ls, tau)
        if order == 2:
            temp_lambda_s = lam(self.sigmas[self.step_index - 1])
            extra = (np.exp((1 + tau**2) * lambda_t)
                     * (h**2 / 2 - (h * (1 + tau**2) - 1 + np.exp((1 + tau**2) * (-h))) / ((1 + tau**2) ** 2))
                     / (lambda_s0 - temp_lambda_s))
            c[0] += extra
            c[1] -= extra
        gradient = sum((1 + tau**2) * sigma_t * np.exp(-(tau**2) * lambda_t) * c[i] * self.model_outputs[-(i + 1)]
                       for i in range(order))
        noise_part = sigma_t * np.sqrt(1 - np.exp(-2 * tau**2 * h)) * noise
        return np.exp(-(tau**2) * h) * (sigma_t / sigma_s0) * x + gradient + noise_part

    def corrector(self, this_model_output, last_sample, last_noise, order, tau):  # stochastic_adams_moulton_update
        alpha_t, sigma_t = alpha_sigma(self.sigmas[self.step_index])
        alpha_s0, sigma_s0 = alpha_sigma(self.sigmas[self.step_index - 1])
        lambda_t, lambda_s0 = np.log(alpha_t) - np.log(sigma_t), np.log(alpha_s0) - np.log(sigma_s0)
        h = lambda_t - lambda_s0
        ls = [lam(self.sigmas[self.step_index - i]) for i in range(order)]
        model_prev_list = self.model_outputs + [this_model_output]
        c = coefficients(order, lambda_s0, lambda_t, ls, tau)
        if order == 2:
            extra = (np.exp((1 + tau**2) * lambda_t)
                     * (h / 2 - (h * (1 + tau**2) - 1 + np.exp((1 + tau**2) * (-h))) / ((1 + tau**2) ** 2 * h)))
            c[0] += extra
            c[1] -= extra
        gradient = sum((1 + tau**2) * sigma_t * np.exp(-(tau**2) * lambda_t) * c[i] * model_prev_list[-(i + 1)]
                       for i in range(order))
        noise_part = sigma_t * np.sqrt(1 - np.exp(-2 * tau**2 * h)) * last_noise
        return np.exp(-(tau**2) * h) * (sigma_t / sigma_s0) * last_sample + gradient + noise_part

    def step(self, model_output, timestep, sample, noise):
        n = len(self.timesteps)
        use_corrector = self.step_index > 0 and self.last_sample is not None
        converted = self.convert_model_output(model_output, sample)
        if use_corrector:
            sample = self.corrector(converted, self.last_sample, self.last_noise, self.this_corrector_order,
                                    tau_func(self.timestep_list[-1]))
        for i in range(self.order - 1):
            self.model_outputs[i] = self.model_outputs[i + 1]
            self.timestep_list[i] = self.timestep_list[i + 1]
        self.model_outputs[-1] = converted
        self.timestep_list[-1] = timestep
        this_predictor_order = min(self.order, n - self.step_index)  # lower_order_final
        this_corrector_order = min(self.order, n - self.step_index + 1)
        self.this_predictor_order = min(this_predictor_order, self.lower_order_nums + 1)
        self.this_corrector_order = min(this_corrector_order, self.lower_order_nums + 2)
        self.last_sample = sample
        self.last_noise = noise
        tau = tau_func(self.timestep_list[-1])
        if self.sigmas[self.step_index + 1] == 0:
            # Final sigma zero: the first-order predictor's limit (checked in main()).
            assert self.this_predictor_order == 1
            prev_sample = converted
        else:
            prev_sample = self.predictor(sample, noise, self.this_predictor_order, tau)
        if self.lower_order_nums < self.order:
            self.lower_order_nums += 1
        self.step_index += 1
        return prev_sample


def run(n, order, prediction_type, noises):
    solver = SASolver(n, order, prediction_type)
    x, traj = X_T.copy(), []
    for t in solver.timesteps:
        x = solver.step(model(x, t, prediction_type), t, x, noises[int(t)])
        traj.append(x.tolist())
    return traj


def check_final_step_limit():
    """diffusers' first-order predictor to a vanishing sigma_t tends to the data prediction m0."""
    solver = SASolver(10, 1, "epsilon")
    solver.step_index = 9
    m0 = np.array([0.25, -0.4, 0.05, 0.3])
    solver.model_outputs = [m0]
    x = np.array([0.5, -0.2, 0.1, 0.9])
    limit = solver.predictor(x, np.zeros(4), 1, tau_func(solver.timesteps[9]), sigma_t=1e-9)
    assert np.allclose(limit, m0, rtol=0, atol=1e-8), (limit, m0)


def main():
    check_final_step_limit()
    rng = np.random.default_rng(NOISE_SEED)
    out = {"xT": X_T.tolist(), "mu": MU.tolist(), "s": S.tolist(), "grids": {}, "noise": {}, "trajectories": {}}
    for n in (10, 20):
        ts = linspace_timesteps(n)
        out["grids"][str(n)] = ts.tolist()
        for t in ts:
            if str(int(t)) not in out["noise"]:
                out["noise"][str(int(t))] = rng.standard_normal(len(X_T)).tolist()
    noises = {int(t): np.array(z) for t, z in out["noise"].items()}
    for n in (10, 20):
        for order in (1, 2, 3):
            out["trajectories"][f"epsilon-{order}-{n}"] = run(n, order, "epsilon", noises)
        for order in (2, 3):
            out["trajectories"][f"v_prediction-{order}-{n}"] = run(n, order, "v_prediction", noises)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
