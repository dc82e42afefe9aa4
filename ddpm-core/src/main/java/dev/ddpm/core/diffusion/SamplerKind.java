package dev.ddpm.core.diffusion;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Locale;

/** Reverse-process algorithm (docs/api.md, "Samplers"). */
public enum SamplerKind {
    /** Ancestral sampling, Ho et al. 2020 Algorithm 2. */
    @JsonProperty("ddpm")
    DDPM,
    /** Song et al. 2021, any number of steps, eta in [0, 1]. */
    @JsonProperty("ddim")
    DDIM,
    /** DPM-Solver++ multistep (Lu et al. 2022), orders 1-3, 2 by default ("DPM++ 2M"). */
    @JsonProperty("dpm++")
    @JsonAlias("dpmpp")
    DPM_SOLVER_PP,
    /** UniPC predictor-corrector (Zhao et al. 2023), bh2, orders 1-3. */
    @JsonProperty("unipc")
    UNIPC,
    /** Euler on the probability-flow ODE, Karras sigmas by default. */
    @JsonProperty("euler")
    EULER,
    /** Heun on the probability-flow ODE (Karras et al. 2022, Algorithm 1), 2N - 1 network calls. */
    @JsonProperty("heun")
    HEUN;

    /** The name requests use: ddpm, ddim, dpm++, unipc, euler, heun. */
    public String wireName() {
        return this == DPM_SOLVER_PP ? "dpm++" : name().toLowerCase(Locale.ROOT);
    }

    /** The kind a request's name means (its wire name; "dpmpp" too). */
    public static SamplerKind parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (SamplerKind kind : values()) {
            if (kind.wireName().equals(n)) {
                return kind;
            }
        }
        if (n.equals("dpmpp")) {
            return DPM_SOLVER_PP;
        }
        throw new IllegalArgumentException(
                "sampler must be one of ddpm, ddim, dpm++, unipc, euler, heun; was '" + name + "'");
    }

    /** Whether it takes the order setting (the multistep solvers). */
    public boolean multistep() {
        return this == DPM_SOLVER_PP || this == UNIPC;
    }
}
