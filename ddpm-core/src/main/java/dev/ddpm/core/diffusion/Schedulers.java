package dev.ddpm.core.diffusion;

import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.model.DiffusionConfig;

/**
 * Builds a request's scheduler from a model's diffusion settings (the manifest) and the request,
 * and says what a request costs. Every default a request may leave out is decided here.
 */
public final class Schedulers {

    /** DDIM's step count when a request names none. */
    public static final int DEFAULT_DDIM_STEPS = 50;
    /** The ODE solvers' step count when a request names none (Heun: {@value #DEFAULT_HEUN_STEPS}). */
    public static final int DEFAULT_SOLVER_STEPS = 20;
    public static final int DEFAULT_HEUN_STEPS = 10;
    /** The multistep solvers' order when a request names none: 2, as diffusers advise with guidance. */
    public static final int DEFAULT_ORDER = 2;

    private Schedulers() {
    }

    /**
     * The solver steps a request runs: the ones it names, else all T for DDPM, {@value #DEFAULT_DDIM_STEPS}
     * for DDIM, {@value #DEFAULT_SOLVER_STEPS} for the ODE solvers ({@value #DEFAULT_HEUN_STEPS} for
     * Heun), at most T.
     */
    public static int steps(SamplerKind kind, Integer requested, int timesteps) {
        if (requested != null && requested > 0) {
            return requested;
        }
        return switch (kind) {
            case DDPM -> timesteps;
            case DDIM -> Math.min(DEFAULT_DDIM_STEPS, timesteps);
            case HEUN -> Math.min(DEFAULT_HEUN_STEPS, timesteps);
            default -> Math.min(DEFAULT_SOLVER_STEPS, timesteps);
        };
    }

    /**
     * Network evaluations per image of {@code steps} solver steps: the steps, or 2 steps - 1 for Heun.
     * A request costs count x this, the unit of the sampler's queue bound and the gateway's quota.
     */
    public static int evaluations(SamplerKind kind, int steps) {
        return kind == SamplerKind.HEUN ? KarrasHeunScheduler.calls(steps) : steps;
    }

    /**
     * What is wrong with a request's {@code order} for its sampler, said after the word "order"
     * ("must be in 1..3, was 4"), or null when it is fine (absent, or 1-3 for dpm++ and unipc).
     */
    public static String orderProblem(SamplerKind kind, Integer order) {
        if (order == null) {
            return null;
        }
        if (!kind.multistep()) {
            return "applies to the dpm++ and unipc samplers, not " + kind.wireName();
        }
        return order < 1 || order > 3 ? "must be in 1..3, was " + order : null;
    }

    /** The spacing a request that names none gets: Karras sigmas for Euler and Heun, linspace otherwise. */
    public static TimestepSpacing defaultSpacing(SamplerKind kind) {
        return kind == SamplerKind.EULER || kind == SamplerKind.HEUN ? TimestepSpacing.KARRAS : TimestepSpacing.LINSPACE;
    }

    /**
     * @param steps    solver steps; {@code null} means the kind's default ({@link #steps})
     * @param eta      DDIM eta (ignored by the others)
     * @param variance DDPM variance (ignored by the others)
     */
    public static Scheduler create(DiffusionConfig diffusion, SamplerKind kind, Integer steps, double eta,
                                   DdpmVariance variance, boolean clipX0) {
        return create(diffusion, kind, steps, eta, variance, clipX0, null, null);
    }

    /**
     * As {@link #create(DiffusionConfig, SamplerKind, Integer, double, DdpmVariance, boolean)} with the
     * multistep solvers' {@code order} (1-3; null: {@value #DEFAULT_ORDER}) and the timestep
     * {@code spacing} (null: {@link #defaultSpacing}).
     */
    public static Scheduler create(DiffusionConfig diffusion, SamplerKind kind, Integer steps, double eta,
                                   DdpmVariance variance, boolean clipX0, Integer order, TimestepSpacing spacing) {
        NoiseSchedule schedule = NoiseSchedule.from(diffusion);
        TimestepSpacing s = spacing == null ? defaultSpacing(kind) : spacing;
        int o = order == null ? DEFAULT_ORDER : order;
        var type = diffusion.predictionType();
        Scheduler scheduler = switch (kind) {
            case DDPM -> new DdpmScheduler(schedule, type, variance, clipX0, s);
            case DDIM -> new DdimScheduler(schedule, type, eta, clipX0, s);
            case DPM_SOLVER_PP -> new DpmSolverPlusPlusScheduler(schedule, type, o, clipX0, s);
            case UNIPC -> new UniPcScheduler(schedule, type, o, clipX0, s);
            case EULER -> new KarrasEulerScheduler(schedule, type, clipX0, s);
            case HEUN -> new KarrasHeunScheduler(schedule, type, clipX0, s);
        };
        scheduler.setTimesteps(steps(kind, steps, schedule.timesteps()));
        return scheduler;
    }
}
