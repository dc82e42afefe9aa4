#!/usr/bin/env python3
"""Golden values for OdeSolverTest, transcribed from diffusers' own schedulers (huggingface/diffusers main:
scheduling_ddim.py, scheduling_dpmsolver_multistep.py, scheduling_unipc_multistep.py,
scheduling_euler_discrete.py, scheduling_euler_ancestral_discrete.py), line for line in their variables (VE
sigmas, sigma -> alpha_t, sigma_t), independently of the Java code. Every function names the diffusers method it
transcribes; torch becomes numpy in float64.

Where this differs from diffusers, the Java code does the same on purpose:
- everything is float64 (diffusers keep betas and sigmas in float32);
- the network is told integer timesteps, so every solver uses the noise level of its integer timestep: Euler's and
  Euler ancestral's linspace grid is DDIM's (rounded) rather than diffusers' fractional one, and with Karras sigmas
  the solver uses the sigma of each rounded timestep rather than the unrounded Karras sigma (TimestepSpacing.KARRAS);
- a grid whose rounded timesteps collide is pushed apart into N distinct ones (karras_timesteps; the grid checks
  list such N as null), and linspace with one step starts at T-1 rather than numpy's 0;
- Heun (HeunDiscreteScheduler) is transcribed from Karras et al. (2022), Algorithm 1 with S_churn = 0, which that
  scheduler implements; its source is not among the files above.
The stochastic samplers (sde-dpmsolver++, Euler ancestral) take their noise from "noise", keyed by the timestep of
the step that draws it, as the Java side's GaussianNoise is.

The model is the exact eps-predictor of Gaussian data N(mu, s^2) per coordinate. Run:
  python3 reference.py > reference.json
"""
import json

import numpy as np

T = 1000
betas = np.linspace(1e-4, 0.02, T, dtype=np.float64)
alphas_cumprod = np.cumprod(1.0 - betas)
all_sigmas = np.sqrt((1 - alphas_cumprod) / alphas_cumprod)  # VE sigma of each timestep
MU = np.array([0.3, -0.5, 0.1])
S = np.array([0.4, 0.2, 0.7])
X_T = np.array([1.2, -0.7, 0.4], dtype=np.float32).astype(np.float64)  # exactly the Java test's floats


def eps_model(x, t):
    abar = alphas_cumprod[t]
    a, s = np.sqrt(abar), np.sqrt(1 - abar)
    x0 = MU + a * S**2 / (a * a * S**2 + s * s) * (x - a * MU)
    return (x - a * x0) / s


# ---------------------------------------------------------------------------------------------- timestep grids


def ddim_timesteps(n, spacing):  # DDIMScheduler.set_timesteps (steps_offset = 0)
    if spacing == "linspace":
        return np.linspace(0, T - 1, n).round()[::-1].copy().astype(np.int64)
    if spacing == "leading":
        step_ratio = T // n
        return (np.arange(0, n) * step_ratio).round()[::-1].copy().astype(np.int64)
    if spacing == "trailing":
        step_ratio = T / n
        return np.round(np.arange(T, 0, -step_ratio)).astype(np.int64) - 1
    raise ValueError(spacing)


def multistep_timesteps(n, spacing):  # DPMSolverMultistepScheduler.set_timesteps (UniPC's is the same)
    last_timestep = T  # lambda_min_clipped = -inf: clipped_idx = 0
    if spacing == "linspace":
        return np.linspace(0, last_timestep - 1, n + 1).round()[::-1][:-1].copy().astype(np.int64)
    if spacing == "leading":
        step_ratio = last_timestep // (n + 1)
        return (np.arange(0, n + 1) * step_ratio).round()[::-1][:-1].copy().astype(np.int64)
    if spacing == "trailing":
        step_ratio = T / n
        return np.arange(last_timestep, 0, -step_ratio).round().copy().astype(np.int64) - 1
    raise ValueError(spacing)


def sigma_to_t(sigma, log_sigmas):  # EulerDiscreteScheduler._sigma_to_t
    log_sigma = np.log(np.maximum(sigma, 1e-10))
    dists = log_sigma - log_sigmas[:, np.newaxis]
    low_idx = np.cumsum((dists >= 0), axis=0).argmax(axis=0).clip(max=log_sigmas.shape[0] - 2)
    high_idx = low_idx + 1
    low = log_sigmas[low_idx]
    high = log_sigmas[high_idx]
    w = (low - log_sigma) / (low - high)
    w = np.clip(w, 0, 1)
    t = (1 - w) * low_idx + w * high_idx
    return t.reshape(sigma.shape)


def convert_to_karras(in_sigmas, n):  # EulerDiscreteScheduler._convert_to_karras (sigma_min, sigma_max unset)
    sigma_min = in_sigmas[-1].item()
    sigma_max = in_sigmas[0].item()
    rho = 7.0
    ramp = np.linspace(0, 1, n)
    min_inv_rho = sigma_min ** (1 / rho)
    max_inv_rho = sigma_max ** (1 / rho)
    return (max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** rho


def karras_timesteps(n):  # DPMSolverMultistepScheduler.set_timesteps, use_karras_sigmas (the same for both grids)
    log_sigmas = np.log(all_sigmas)
    sigmas = convert_to_karras(np.flip(all_sigmas).copy(), n)
    ts = np.array([sigma_to_t(np.array(sigma), log_sigmas) for sigma in sigmas]).round().astype(np.int64)
    return push_apart(ts)


def push_apart(ts):  # the Java side's rule for colliding timesteps: up from the data end, then down from T-1
    ts = ts.copy()
    n = len(ts)
    ts[n - 1] = max(ts[n - 1], 0)
    for i in range(n - 2, -1, -1):
        ts[i] = max(ts[i], ts[i + 1] + 1)
    for i in range(n):
        ts[i] = min(ts[i], T - 1 - i)
    return ts


def checksum(ts, n):
    """sum (i + 1) t_i of a grid of n distinct descending timesteps in 0..T-1; None for any other grid."""
    if len(ts) != n or ts[0] > T - 1 or ts[-1] < 0 or np.any(np.diff(ts) >= 0):
        return None
    return int(np.sum((np.arange(n) + 1) * ts))


# -------------------------------------------------------------------------------------------------- samplers


def alpha_sigma(sigma):  # _sigma_to_alpha_sigma_t
    alpha_t = 1 / ((sigma**2 + 1) ** 0.5)
    return alpha_t, sigma * alpha_t


def lam(sigma):  # torch.log(alpha_t) - torch.log(sigma_t); +inf at sigma = 0
    alpha_t, sigma_t = alpha_sigma(sigma)
    return np.log(alpha_t) - np.log(sigma_t)


def convert_model_output(eps, x, sigma):  # DPMSolverMultistepScheduler/UniPC convert_model_output, epsilon, x0
    alpha_t, sigma_t = alpha_sigma(sigma)
    return (x - sigma_t * eps) / alpha_t


def dpmsolver_multistep(ts, order, algorithm, noise):  # DPMSolverMultistepScheduler.step, solver_type midpoint
    n = len(ts)
    sigmas = np.concatenate([all_sigmas[ts], [0.0]])  # final_sigmas_type "zero"
    model_outputs = [None] * order
    lower_order_nums = 0
    sample = X_T.copy()
    traj = []
    for step_index, t in enumerate(ts):
        lower_order_final = step_index == n - 1  # final_sigmas_type == "zero"
        lower_order_second = step_index == n - 2 and n < 15  # lower_order_final = True
        model_output = convert_model_output(eps_model(sample, t), sample, sigmas[step_index])
        for i in range(order - 1):
            model_outputs[i] = model_outputs[i + 1]
        model_outputs[-1] = model_output
        z = np.array(noise[int(t)]) if algorithm == "sde-dpmsolver++" else None
        if order == 1 or lower_order_nums < 1 or lower_order_final:
            sample = dpm_solver_first_order_update(model_output, sample, sigmas, step_index, algorithm, z)
        elif order == 2 or lower_order_nums < 2 or lower_order_second:
            sample = second_order_update(model_outputs, sample, sigmas, step_index, algorithm, z)
        else:
            sample = third_order_update(model_outputs, sample, sigmas, step_index, algorithm, z)
        if lower_order_nums < order:
            lower_order_nums += 1
        traj.append(sample.tolist())
    return traj


def dpm_solver_first_order_update(model_output, sample, sigmas, step_index, algorithm, noise):
    sigma_t, sigma_s = sigmas[step_index + 1], sigmas[step_index]
    alpha_t, sigma_t = alpha_sigma(sigma_t)
    alpha_s, sigma_s = alpha_sigma(sigma_s)
    h = lam(sigmas[step_index + 1]) - lam(sigmas[step_index])
    if algorithm == "dpmsolver++":
        return (sigma_t / sigma_s) * sample - (alpha_t * (np.exp(-h) - 1.0)) * model_output
    if noise is None:  # the step to clean data: the Java side draws none, and sigma_t = 0 multiplies it
        noise = np.zeros_like(sample)
    return (
        (sigma_t / sigma_s * np.exp(-h)) * sample
        + (alpha_t * (1 - np.exp(-2.0 * h))) * model_output
        + sigma_t * np.sqrt(1.0 - np.exp(-2 * h)) * noise
    )


def second_order_update(model_output_list, sample, sigmas, step_index, algorithm, noise):
    # multistep_dpm_solver_second_order_update
    sigma_t, sigma_s0, sigma_s1 = sigmas[step_index + 1], sigmas[step_index], sigmas[step_index - 1]
    alpha_t, sigma_t = alpha_sigma(sigma_t)
    alpha_s0, sigma_s0 = alpha_sigma(sigma_s0)
    lambda_t = lam(sigmas[step_index + 1])
    lambda_s0 = lam(sigmas[step_index])
    lambda_s1 = lam(sigmas[step_index - 1])
    m0, m1 = model_output_list[-1], model_output_list[-2]
    h, h_0 = lambda_t - lambda_s0, lambda_s0 - lambda_s1
    r0 = h_0 / h
    D0, D1 = m0, (1.0 / r0) * (m0 - m1)
    if algorithm == "dpmsolver++":
        return (
            (sigma_t / sigma_s0) * sample
            - (alpha_t * (np.exp(-h) - 1.0)) * D0
            - 0.5 * (alpha_t * (np.exp(-h) - 1.0)) * D1
        )
    return (
        (sigma_t / sigma_s0 * np.exp(-h)) * sample
        + (alpha_t * (1 - np.exp(-2.0 * h))) * D0
        + 0.5 * (alpha_t * (1 - np.exp(-2.0 * h))) * D1
        + sigma_t * np.sqrt(1.0 - np.exp(-2 * h)) * noise
    )


def third_order_update(model_output_list, sample, sigmas, step_index, algorithm, noise):
    # multistep_dpm_solver_third_order_update
    sigma_t, sigma_s0 = sigmas[step_index + 1], sigmas[step_index]
    alpha_t, sigma_t = alpha_sigma(sigma_t)
    alpha_s0, sigma_s0 = alpha_sigma(sigma_s0)
    lambda_t = lam(sigmas[step_index + 1])
    lambda_s0 = lam(sigmas[step_index])
    lambda_s1 = lam(sigmas[step_index - 1])
    lambda_s2 = lam(sigmas[step_index - 2])
    m0, m1, m2 = model_output_list[-1], model_output_list[-2], model_output_list[-3]
    h, h_0, h_1 = lambda_t - lambda_s0, lambda_s0 - lambda_s1, lambda_s1 - lambda_s2
    r0, r1 = h_0 / h, h_1 / h
    D0 = m0
    D1_0, D1_1 = (1.0 / r0) * (m0 - m1), (1.0 / r1) * (m1 - m2)
    D1 = D1_0 + (r0 / (r0 + r1)) * (D1_0 - D1_1)
    D2 = (1.0 / (r0 + r1)) * (D1_0 - D1_1)
    if algorithm == "dpmsolver++":
        return (
            (sigma_t / sigma_s0) * sample
            - (alpha_t * (np.exp(-h) - 1.0)) * D0
            + (alpha_t * ((np.exp(-h) - 1.0) / h + 1.0)) * D1
            - (alpha_t * ((np.exp(-h) - 1.0 + h) / h**2 - 0.5)) * D2
        )
    return (
        (sigma_t / sigma_s0 * np.exp(-h)) * sample
        + (alpha_t * (1.0 - np.exp(-2.0 * h))) * D0
        + (alpha_t * ((1.0 - np.exp(-2.0 * h)) / (-2.0 * h) + 1.0)) * D1
        + (alpha_t * ((1.0 - np.exp(-2.0 * h) - 2.0 * h) / (2.0 * h) ** 2 - 0.5)) * D2
        + sigma_t * np.sqrt(1.0 - np.exp(-2 * h)) * noise
    )


def unipc_coefficients(h, rks, order):  # the R, b recursion both UniPC updates share (predict_x0, bh2)
    hh = -h
    h_phi_1 = np.expm1(hh)
    h_phi_k = h_phi_1 / hh - 1
    factorial_i = 1
    B_h = np.expm1(hh)
    R, b = [], []
    for i in range(1, order + 1):
        R.append(np.power(rks, i - 1))
        b.append(h_phi_k * factorial_i / B_h)
        factorial_i *= i + 1
        h_phi_k = h_phi_k / hh - 1 / factorial_i
    return np.stack(R), np.array(b), h_phi_1, B_h


def unipc(ts, order):  # UniPCMultistepScheduler.step (bh2, predict_x0, lower_order_final, no disabled corrector)
    n = len(ts)
    sigmas = np.concatenate([all_sigmas[ts], [0.0]])
    model_outputs = [None] * order
    lower_order_nums = 0
    last_sample = None
    this_order = 0
    sample = X_T.copy()
    traj = []
    for step_index, t in enumerate(ts):
        use_corrector = step_index > 0 and last_sample is not None
        model_output_convert = convert_model_output(eps_model(sample, t), sample, sigmas[step_index])
        if use_corrector:
            sample = uni_c_bh_update(model_output_convert, last_sample, sample, this_order, model_outputs, sigmas,
                                     step_index)
        for i in range(order - 1):
            model_outputs[i] = model_outputs[i + 1]
        model_outputs[-1] = model_output_convert
        this_order = min(min(order, n - step_index), lower_order_nums + 1)
        last_sample = sample
        sample = uni_p_bh_update(sample, this_order, model_outputs, sigmas, step_index)
        if lower_order_nums < order:
            lower_order_nums += 1
        traj.append(sample.tolist())
    return traj


def uni_p_bh_update(x, order, model_output_list, sigmas, step_index):  # multistep_uni_p_bh_update
    m0 = model_output_list[-1]
    sigma_t, sigma_s0 = sigmas[step_index + 1], sigmas[step_index]
    alpha_t, sigma_t = alpha_sigma(sigma_t)
    alpha_s0, sigma_s0 = alpha_sigma(sigma_s0)
    lambda_s0 = lam(sigmas[step_index])
    h = lam(sigmas[step_index + 1]) - lambda_s0
    rks, D1s = [], []
    for i in range(1, order):
        si = step_index - i
        mi = model_output_list[-(i + 1)]
        rk = (lam(sigmas[si]) - lambda_s0) / h
        rks.append(rk)
        D1s.append((mi - m0) / rk)
    rks.append(1.0)
    R, b, h_phi_1, B_h = unipc_coefficients(h, np.array(rks), order)
    x_t_ = sigma_t / sigma_s0 * x - alpha_t * h_phi_1 * m0
    if D1s:
        rhos_p = np.array([0.5]) if order == 2 else np.linalg.solve(R[:-1, :-1], b[:-1])
        pred_res = sum(rhos_p[k] * D1s[k] for k in range(len(D1s)))
    else:
        pred_res = 0
    return x_t_ - alpha_t * B_h * pred_res


def uni_c_bh_update(model_t, x, x_t, order, model_output_list, sigmas, step_index):  # multistep_uni_c_bh_update
    m0 = model_output_list[-1]
    sigma_t, sigma_s0 = sigmas[step_index], sigmas[step_index - 1]
    alpha_t, sigma_t = alpha_sigma(sigma_t)
    alpha_s0, sigma_s0 = alpha_sigma(sigma_s0)
    lambda_s0 = lam(sigmas[step_index - 1])
    h = lam(sigmas[step_index]) - lambda_s0
    rks, D1s = [], []
    for i in range(1, order):
        si = step_index - (i + 1)
        mi = model_output_list[-(i + 1)]
        rk = (lam(sigmas[si]) - lambda_s0) / h
        rks.append(rk)
        D1s.append((mi - m0) / rk)
    rks.append(1.0)
    R, b, h_phi_1, B_h = unipc_coefficients(h, np.array(rks), order)
    rhos_c = np.array([0.5]) if order == 1 else np.linalg.solve(R, b)
    x_t_ = sigma_t / sigma_s0 * x - alpha_t * h_phi_1 * m0
    corr_res = sum(rhos_c[k] * D1s[k] for k in range(len(D1s))) if D1s else 0
    D1_t = model_t - m0
    return x_t_ - alpha_t * B_h * (corr_res + rhos_c[-1] * D1_t)


def euler(ts):  # EulerDiscreteScheduler.step with s_churn = 0; x_VE = x_VP sqrt(sigma^2 + 1)
    sigmas = np.concatenate([all_sigmas[ts], [0.0]])
    sample = X_T * np.sqrt(sigmas[0] ** 2 + 1)
    traj = []
    for i, t in enumerate(ts):
        model_output = eps_model(sample / ((sigmas[i] ** 2 + 1) ** 0.5), t)  # scale_model_input
        sigma_hat = sigmas[i]
        pred_original_sample = sample - sigma_hat * model_output
        derivative = (sample - pred_original_sample) / sigma_hat
        dt = sigmas[i + 1] - sigma_hat
        sample = sample + derivative * dt
        traj.append((sample / np.sqrt(sigmas[i + 1] ** 2 + 1)).tolist())  # back to VP for comparison
    return traj


def euler_ancestral(ts, noise):  # EulerAncestralDiscreteScheduler.step
    sigmas = np.concatenate([all_sigmas[ts], [0.0]])
    sample = X_T * np.sqrt(sigmas[0] ** 2 + 1)
    traj = []
    for i, t in enumerate(ts):
        sigma = sigmas[i]
        model_output = eps_model(sample / ((sigma**2 + 1) ** 0.5), t)  # scale_model_input
        pred_original_sample = sample - sigma * model_output
        sigma_from, sigma_to = sigmas[i], sigmas[i + 1]
        sigma_up = (sigma_to**2 * (sigma_from**2 - sigma_to**2) / sigma_from**2) ** 0.5
        sigma_down = (sigma_to**2 - sigma_up**2) ** 0.5
        derivative = (sample - pred_original_sample) / sigma
        dt = sigma_down - sigma
        sample = sample + derivative * dt
        # the step to clean data: sigma_up = 0, and the Java side draws no noise for it
        z = np.array(noise[int(t)]) if sigma_to > 0 else np.zeros_like(sample)
        sample = sample + z * sigma_up
        traj.append((sample / np.sqrt(sigmas[i + 1] ** 2 + 1)).tolist())
    return traj


def heun(ts):  # Karras et al. 2022, Algorithm 1, S_churn = 0 (HeunDiscreteScheduler): 2N - 1 calls
    n = len(ts)
    sig = all_sigmas[ts]
    xv = X_T * np.sqrt(sig[0] ** 2 + 1)
    traj = []
    for i in range(n):
        s, s_next = sig[i], (sig[i + 1] if i + 1 < n else 0.0)
        eps = eps_model(xv / np.sqrt(s**2 + 1), ts[i])
        d = (xv - (xv - s * eps)) / s
        if s_next == 0:
            xv = xv + (s_next - s) * d
            traj.append((xv / np.sqrt(s_next**2 + 1)).tolist())
            break
        x_pred = xv + (s_next - s) * d
        traj.append((x_pred / np.sqrt(s_next**2 + 1)).tolist())
        eps2 = eps_model(x_pred / np.sqrt(s_next**2 + 1), ts[i + 1])
        d2 = (x_pred - (x_pred - s_next * eps2)) / s_next
        xv = xv + (s_next - s) * (d + d2) / 2
        traj.append((xv / np.sqrt(s_next**2 + 1)).tolist())
    return traj


# ------------------------------------------------------------------------------------------------------ main

# name: (Java SamplerKind, order or 0, spacing, steps)
CASES = {
    "dpm++1": ("DPM_SOLVER_PP", 1, "linspace", 10),
    "dpm++2": ("DPM_SOLVER_PP", 2, "linspace", 10),
    "dpm++3": ("DPM_SOLVER_PP", 3, "linspace", 10),
    "dpm++3-20": ("DPM_SOLVER_PP", 3, "linspace", 20),
    "dpm++2-leading": ("DPM_SOLVER_PP", 2, "leading", 10),
    "dpm++2-trailing": ("DPM_SOLVER_PP", 2, "trailing", 10),
    "dpm++2-karras": ("DPM_SOLVER_PP", 2, "karras", 10),
    "unipc1": ("UNIPC", 1, "linspace", 10),
    "unipc2": ("UNIPC", 2, "linspace", 10),
    "unipc3": ("UNIPC", 3, "linspace", 10),
    "unipc3-20": ("UNIPC", 3, "linspace", 20),
    "unipc2-leading": ("UNIPC", 2, "leading", 10),
    "dpm++sde1": ("DPM_SOLVER_PP_SDE", 1, "linspace", 10),
    "dpm++sde2": ("DPM_SOLVER_PP_SDE", 2, "linspace", 10),
    "dpm++sde3": ("DPM_SOLVER_PP_SDE", 3, "linspace", 10),
    "dpm++sde3-20": ("DPM_SOLVER_PP_SDE", 3, "linspace", 20),
    "euler": ("EULER", 0, "karras", 10),
    "euler-linspace": ("EULER", 0, "linspace", 10),
    "heun": ("HEUN", 0, "karras", 10),
    "euler-ancestral": ("EULER_ANCESTRAL", 0, "linspace", 10),
    "euler-ancestral-trailing": ("EULER_ANCESTRAL", 0, "trailing", 10),
}
MULTISTEP = {"DPM_SOLVER_PP", "UNIPC", "DPM_SOLVER_PP_SDE"}


def grid(sampler, spacing, steps):
    if spacing == "karras":
        return karras_timesteps(steps)
    ts = multistep_timesteps(steps, spacing) if sampler in MULTISTEP else ddim_timesteps(steps, spacing)
    assert checksum(ts, steps) is not None, (sampler, spacing, steps)
    return ts


def run(sampler, order, ts, noise):
    if sampler == "DPM_SOLVER_PP":
        return dpmsolver_multistep(ts, order, "dpmsolver++", noise)
    if sampler == "DPM_SOLVER_PP_SDE":
        return dpmsolver_multistep(ts, order, "sde-dpmsolver++", noise)
    if sampler == "UNIPC":
        return unipc(ts, order)
    if sampler == "EULER":
        return euler(ts)
    if sampler == "EULER_ANCESTRAL":
        return euler_ancestral(ts, noise)
    if sampler == "HEUN":
        return heun(ts)
    raise ValueError(sampler)


def main():
    # One N(0, 1) draw of three floats per timestep, as the image's noise stream gives one per step key.
    rng = np.random.default_rng(35)
    noise = {t: rng.standard_normal(3).astype(np.float32).astype(np.float64).tolist() for t in range(T)}
    trajectories = {}
    used = set()
    for name, (sampler, order, spacing, steps) in CASES.items():
        ts = grid(sampler, spacing, steps)
        if sampler in ("DPM_SOLVER_PP_SDE", "EULER_ANCESTRAL"):
            used.update(int(t) for t in ts[:-1])  # the step to clean data draws none
        with np.errstate(divide="ignore", invalid="ignore"):  # lambda = +inf at clean data, as in torch
            states = run(sampler, order, ts, noise)
        trajectories[name] = {"sampler": sampler, "order": order, "spacing": spacing.upper(), "steps": steps,
                              "timesteps": [int(t) for t in ts], "states": states}
    grids = {}
    for kind, fn in (("timesteps", ddim_timesteps), ("multistepTimesteps", multistep_timesteps)):
        grids[kind] = {s.upper(): [checksum(fn(n, s), n) for n in range(1, T + 1)]
                       for s in ("linspace", "leading", "trailing")}
    grids["karras"] = [checksum(karras_timesteps(n), n) for n in range(1, T + 1)]
    out = {"T": T, "xT": X_T.tolist(), "mu": MU.tolist(), "s": S.tolist(),
           "noise": {str(t): noise[t] for t in sorted(used)},
           "grids": grids, "trajectories": trajectories}
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
