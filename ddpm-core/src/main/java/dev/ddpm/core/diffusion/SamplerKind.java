package dev.ddpm.core.diffusion;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Locale;

/** Reverse-process algorithm (docs/api.md, "Samplers"). */
public enum SamplerKind {
    /** Ancestral sampling, Ho et al. 2020 Algorithm 2. */
    @JsonProperty("ddpm")
    DDPM("ddpm"),
    /** Song et al. 2021, any number of steps, eta in [0, 1]. */
    @JsonProperty("ddim")
    DDIM("ddim"),
    /** DPM-Solver++ multistep (Lu et al. 2022), orders 1-3, 2 by default ("DPM++ 2M"). */
    @JsonProperty("dpm++")
    @JsonAlias("dpmpp")
    DPM_SOLVER_PP("dpm++", "dpmpp"),
    /** UniPC predictor-corrector (Zhao et al. 2023), bh2, orders 1-3. */
    @JsonProperty("unipc")
    UNIPC("unipc"),
    /** Euler on the probability-flow ODE, Karras sigmas by default. */
    @JsonProperty("euler")
    EULER("euler"),
    /** Heun on the probability-flow ODE (Karras et al. 2022, Algorithm 1), 2N - 1 network calls. */
    @JsonProperty("heun")
    HEUN("heun"),
    /** SDE-DPM-Solver++ multistep (Lu et al. 2022, appendix), orders 1-3, 2 by default ("DPM++ 2M SDE"). */
    @JsonProperty("dpm++sde")
    @JsonAlias("dpmpp-sde")
    DPM_SOLVER_PP_SDE("dpm++sde", "dpmpp-sde"),
    /** Euler ancestral: an Euler step down to sigma_down, then fresh noise up to the next level. */
    @JsonProperty("euler-ancestral")
    @JsonAlias("euler_a")
    EULER_ANCESTRAL("euler-ancestral", "euler_a"),
    /** SA-Solver (Xue et al. 2023): stochastic Adams predictor-corrector, orders 1-3, 2 by default. */
    @JsonProperty("sa-solver")
    @JsonAlias("sasolver")
    SA_SOLVER("sa-solver", "sasolver");

    private final String wireName;
    private final List<String> aliases;

    SamplerKind(String wireName, String... aliases) {
        this.wireName = wireName;
        this.aliases = List.of(aliases);
    }

    /** The name requests use: ddpm, ddim, dpm++, unipc, euler, heun, dpm++sde, euler-ancestral, sa-solver. */
    public String wireName() {
        return wireName;
    }

    /** The kind a request's name means (its wire name, or an alias such as "dpmpp"). */
    public static SamplerKind parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (SamplerKind kind : values()) {
            if (kind.wireName.equals(n) || kind.aliases.contains(n)) {
                return kind;
            }
        }
        throw new IllegalArgumentException(
                "sampler must be one of " + String.join(", ", wireNames()) + "; was '" + name + "'");
    }

    /** Every kind's wire name, in declaration order. */
    public static List<String> wireNames() {
        return java.util.Arrays.stream(values()).map(SamplerKind::wireName).toList();
    }

    /** Whether it takes the order setting (the multistep solvers). */
    public boolean multistep() {
        return this == DPM_SOLVER_PP || this == UNIPC || this == DPM_SOLVER_PP_SDE || this == SA_SOLVER;
    }

    /**
     * Whether each step adds fresh noise from the image's seeded stream (DDIM only when eta > 0), so
     * that two noise streams give two images even from one x_T.
     */
    public boolean stochastic() {
        return this == DDPM || this == DPM_SOLVER_PP_SDE || this == EULER_ANCESTRAL || this == SA_SOLVER;
    }
}
