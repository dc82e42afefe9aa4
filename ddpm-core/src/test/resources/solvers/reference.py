#!/usr/bin/env python3
"""Reference trajectories of the ODE solvers, written from diffusers' schedulers (v0.30:
DPMSolverMultistepScheduler, UniPCMultistepScheduler, EulerDiscreteScheduler, HeunDiscreteScheduler),
in their variables (VE sigmas, sigma -> alpha_t, sigma_t), independently of the Java code.

One deliberate difference, shared with the Java code and documented in TimestepSpacing.KARRAS: with
Karras sigmas the network can only be told integer timesteps, so the solver uses the sigmas of the
rounded timesteps rather than the unrounded Karras sigmas.

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
X_T = np.array([1.2, -0.7, 0.4])


def eps_model(x, t):
    abar = alphas_cumprod[t]
    a, s = np.sqrt(abar), np.sqrt(1 - abar)
    x0 = MU + a * S**2 / (a * a * S**2 + s * s) * (x - a * MU)
    return (x - a * x0) / s


def alpha_sigma(sigma):  # diffusers' _sigma_to_alpha_sigma_t
    alpha_t = 1 / (sigma**2 + 1) ** 0.5
    return alpha_t, sigma * alpha_t


def x0_of(eps, x, sigma):  # convert_model_output, epsilon prediction, data form
    alpha_t, sigma_t = alpha_sigma(sigma)
    return (x - sigma_t * eps) / alpha_t


def linspace_timesteps(n):
    return np.linspace(0, T - 1, n).round()[::-1].astype(np.int64)


def karras_timesteps(n, rho=7.0):
    log_sigmas = np.log(all_sigmas)
    smin, smax = all_sigmas[0], all_sigmas[-1]
    ramp = np.linspace(0, 1, n)
    sig = (smax ** (1 / rho) + ramp * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
    ts = np.interp(np.log(sig), log_sigmas, np.arange(T)).round().astype(np.int64)  # _sigma_to_t
    for i in range(n - 2, -1, -1):  # keep them distinct (only needed for large n)
        ts[i] = max(ts[i], ts[i + 1] + 1)
    for i in range(n):
        ts[i] = min(ts[i], T - 1 - i)
    return ts


def dpmpp(n, order, ts):
    sigmas = np.concatenate([all_sigmas[ts], [0.0]])
    x, outs, lower, traj = X_T.copy(), [], 0, []
    for i, t in enumerate(ts):
        m = x0_of(eps_model(x, t), x, sigmas[i])
        outs = [m] + outs[:2]
        lower_final = i == n - 1
        lower_second = i == n - 2 and n < 15
        if order == 1 or lower < 1 or lower_final:
            o = 1
        elif order == 2 or lower < 2 or lower_second:
            o = 2
        else:
            o = 3
        a_t, s_t = alpha_sigma(sigmas[i + 1])
        a_s0, s_s0 = alpha_sigma(sigmas[i])
        if sigmas[i + 1] == 0:
            x = outs[0]
        else:
            lam_t = np.log(a_t) - np.log(s_t)
            lam = [np.log(alpha_sigma(sigmas[i - k])[0]) - np.log(alpha_sigma(sigmas[i - k])[1]) for k in range(o)]
            h = lam_t - lam[0]
            if o == 1:
                x = (s_t / s_s0) * x - a_t * (np.exp(-h) - 1.0) * outs[0]
            elif o == 2:
                r0 = (lam[0] - lam[1]) / h
                D0, D1 = outs[0], (1.0 / r0) * (outs[0] - outs[1])
                x = (s_t / s_s0) * x - a_t * (np.exp(-h) - 1.0) * D0 - 0.5 * a_t * (np.exp(-h) - 1.0) * D1
            else:
                r0, r1 = (lam[0] - lam[1]) / h, (lam[1] - lam[2]) / h
                D0 = outs[0]
                D1_0, D1_1 = (1.0 / r0) * (outs[0] - outs[1]), (1.0 / r1) * (outs[1] - outs[2])
                D1 = D1_0 + (r0 / (r0 + r1)) * (D1_0 - D1_1)
                D2 = (1.0 / (r0 + r1)) * (D1_0 - D1_1)
                x = ((s_t / s_s0) * x - a_t * (np.exp(-h) - 1.0) * D0 + a_t * ((np.exp(-h) - 1.0) / h + 1.0) * D1
                     - a_t * ((np.exp(-h) - 1.0 + h) / h**2 - 0.5) * D2)
        lower = min(lower + 1, order)
        traj.append(x.tolist())
    return traj


def unipc(n, order, ts):
    sigmas = np.concatenate([all_sigmas[ts], [0.0]])
    lam = lambda sg: np.log(alpha_sigma(sg)[0]) - np.log(alpha_sigma(sg)[1])

    def coeffs(h, rks, p):
        hh = -h
        h_phi_1 = np.expm1(hh)
        h_phi_k = h_phi_1 / hh - 1
        B_h = np.expm1(hh)
        fact, R, b = 1, [], []
        for k in range(1, p + 1):
            R.append(np.power(rks, k - 1))
            b.append(h_phi_k * fact / B_h)
            fact *= k + 1
            h_phi_k = h_phi_k / hh - 1 / fact
        return np.stack(R), np.array(b), h_phi_1, B_h

    outs, x, last, lower, this_order, traj = [], X_T.copy(), None, 0, 0, []
    for i, t in enumerate(ts):
        m = x0_of(eps_model(x, t), x, sigmas[i])
        if i > 0 and last is not None:  # multistep_uni_c_bh_update
            p = this_order
            a_t, s_t = alpha_sigma(sigmas[i])
            a_s0, s_s0 = alpha_sigma(sigmas[i - 1])
            h = lam(sigmas[i]) - lam(sigmas[i - 1])
            rks, D1s = [], []
            for k in range(1, p):
                rk = (lam(sigmas[i - 1 - k]) - lam(sigmas[i - 1])) / h
                rks.append(rk)
                D1s.append((outs[k] - outs[0]) / rk)
            rks.append(1.0)
            R, b, h_phi_1, B_h = coeffs(h, np.array(rks), p)
            rhos_c = np.array([0.5]) if p == 1 else np.linalg.solve(R, b)
            x_t_ = s_t / s_s0 * last - a_t * h_phi_1 * outs[0]
            corr = sum(rhos_c[k] * D1s[k] for k in range(len(D1s))) if D1s else 0
            x = x_t_ - a_t * B_h * (corr + rhos_c[-1] * (m - outs[0]))
        outs = [m] + outs[:2]
        this_order = min(order, n - i, lower + 1)
        last = x
        if sigmas[i + 1] == 0:
            x = outs[0]
        else:  # multistep_uni_p_bh_update
            p = this_order
            a_t, s_t = alpha_sigma(sigmas[i + 1])
            a_s0, s_s0 = alpha_sigma(sigmas[i])
            h = lam(sigmas[i + 1]) - lam(sigmas[i])
            rks, D1s = [], []
            for k in range(1, p):
                rk = (lam(sigmas[i - k]) - lam(sigmas[i])) / h
                rks.append(rk)
                D1s.append((outs[k] - outs[0]) / rk)
            rks.append(1.0)
            R, b, h_phi_1, B_h = coeffs(h, np.array(rks), p)
            x_t_ = s_t / s_s0 * x - a_t * h_phi_1 * outs[0]
            if D1s:
                rhos_p = np.array([0.5]) if p == 2 else np.linalg.solve(R[:-1, :-1], b[:-1])
                x = x_t_ - a_t * B_h * sum(rhos_p[k] * D1s[k] for k in range(len(D1s)))
            else:
                x = x_t_
        lower = min(lower + 1, order)
        traj.append(x.tolist())
    return traj


def euler(n, ts):  # EulerDiscreteScheduler: scale_model_input divides by sqrt(sigma^2 + 1)
    sigmas = np.concatenate([all_sigmas[ts], [0.0]])
    xv = X_T * np.sqrt(sigmas[0] ** 2 + 1)  # the VE sample
    traj = []
    for i, t in enumerate(ts):
        inp = xv / np.sqrt(sigmas[i] ** 2 + 1)
        eps = eps_model(inp, t)
        pred_x0 = xv - sigmas[i] * eps
        d = (xv - pred_x0) / sigmas[i]
        xv = xv + (sigmas[i + 1] - sigmas[i]) * d
        traj.append((xv / np.sqrt(sigmas[i + 1] ** 2 + 1)).tolist())  # back to VP for comparison
    return traj


def heun(n, ts):  # HeunDiscreteScheduler, first- and second-order halves
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


def main():
    N = 10
    out = {"xT": X_T.tolist(), "mu": MU.tolist(), "s": S.tolist(), "steps": N,
           "linspace": linspace_timesteps(N).tolist(), "karras": karras_timesteps(N).tolist(), "trajectories": {}}
    for o in (1, 2, 3):
        out["trajectories"][f"dpm++{o}"] = dpmpp(N, o, linspace_timesteps(N))
        out["trajectories"][f"unipc{o}"] = unipc(N, o, linspace_timesteps(N))
    out["trajectories"]["dpm++2-karras"] = dpmpp(N, 2, karras_timesteps(N))
    out["trajectories"]["euler"] = euler(N, karras_timesteps(N))
    out["trajectories"]["heun"] = heun(N, karras_timesteps(N))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
