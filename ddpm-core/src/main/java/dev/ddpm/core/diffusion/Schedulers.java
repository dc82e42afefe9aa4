package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.DiffusionConfig;

/**
 * Builds a request's scheduler from a model's diffusion settings (the manifest) and the request's
 * {@link SchedulerSettings}, and says what a request costs. Every default a request may leave out is
 * decided here or, for the settings only DDIM and DDPM read, in {@link SchedulerSettings}.
 */
public final class Schedulers {

    /** DDIM's step count when a request names none. */
    public static final int DEFAULT_DDIM_STEPS = 50;
    /** The ODE solvers' step count when a request names none (Heun: {@value #DEFAULT_HEUN_STEPS}). */
    public static final int DEFAULT_SOLVER_STEPS = 20;
    /**
     * The stochastic few-step samplers' (dpm++sde, euler-ancestral, sa-solver) step count when a request
     * names none: SDE-DPM-Solver++ at 25 comes within 10 % of DDPM-250's FLD and matches its share of
     * recognisable digits (docs/evaluation.md, "Samplers").
     */
    public static final int DEFAULT_STOCHASTIC_STEPS = 25;

    public static final int DEFAULT_HEUN_STEPS = 10;
    /** The multistep solvers' order when a request names none: 2, as diffusers advise with guidance. */
    public static final int DEFAULT_ORDER = 2;
    /** The multistep solvers' orders: {@value #MIN_ORDER} to {@value #MAX_ORDER}, diffusers' 1M, 2M and 3M. */
    public static final int MIN_ORDER = 1;

    public static final int MAX_ORDER = 3;

    private Schedulers() {}

    /**
     * The solver steps a request runs: the ones it names, else all T for DDPM, {@value #DEFAULT_DDIM_STEPS}
     * for DDIM, {@value #DEFAULT_SOLVER_STEPS} for the ODE solvers ({@value #DEFAULT_HEUN_STEPS} for
     * Heun), {@value #DEFAULT_STOCHASTIC_STEPS} for the stochastic few-step samplers, at most T.
     */
    public static int steps(SamplerKind kind, Integer requested, int timesteps) {
        if (requested != null && requested > 0) {
            return requested;
        }
        return switch (kind) {
            case DDPM -> timesteps;
            case DDIM -> Math.min(DEFAULT_DDIM_STEPS, timesteps);
            case HEUN -> Math.min(DEFAULT_HEUN_STEPS, timesteps);
            case DPM_SOLVER_PP_SDE, EULER_ANCESTRAL, SA_SOLVER -> Math.min(DEFAULT_STOCHASTIC_STEPS, timesteps);
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
     * ("must be in 1..3, was 4"), or null when it is fine (absent, or 1-3 for the multistep samplers). The one
     * statement of the rule: requests, {@link SchedulerSettings} and the solvers' constructors ask it.
     */
    public static String orderProblem(SamplerKind kind, Integer order) {
        if (order == null) {
            return null;
        }
        if (!kind.multistep()) {
            return "applies to the dpm++, unipc, dpm++sde and sa-solver samplers, not " + kind.wireName();
        }
        if (order < MIN_ORDER || order > MAX_ORDER) {
            return "must be in " + MIN_ORDER + ".." + MAX_ORDER + ", was " + order;
        }
        return null;
    }

    /** The spacing a request that names none gets: Karras sigmas for Euler and Heun, linspace otherwise. */
    public static TimestepSpacing defaultSpacing(SamplerKind kind) {
        return kind == SamplerKind.EULER || kind == SamplerKind.HEUN
                ? TimestepSpacing.KARRAS
                : TimestepSpacing.LINSPACE;
    }

    /**
     * A fresh scheduler for one image, its timesteps set: the model's {@code diffusion} settings (T,
     * beta schedule, prediction type) and what is asked of the sampler, every default resolved.
     */
    public static Scheduler create(DiffusionConfig diffusion, SchedulerSettings settings) {
        NoiseSchedule schedule = NoiseSchedule.from(diffusion);
        var type = diffusion.predictionType();
        Thresholding thresholding = settings.thresholding();
        TimestepSpacing spacing = settings.spacing();
        int order = settings.sampler().multistep() ? settings.order() : 0;
        Scheduler scheduler = switch (settings.sampler()) {
            case DDPM -> new DdpmScheduler(schedule, type, settings.variance(), thresholding, spacing);
            case DDIM -> new DdimScheduler(schedule, type, settings.eta(), thresholding, spacing);
            case DPM_SOLVER_PP -> new DpmSolverPlusPlusScheduler(schedule, type, order, thresholding, spacing);
            case DPM_SOLVER_PP_SDE ->
                new DpmSolverPlusPlusScheduler(schedule, type, order, thresholding, spacing, true);
            case UNIPC -> new UniPcScheduler(schedule, type, order, thresholding, spacing);
            case EULER -> new KarrasEulerScheduler(schedule, type, thresholding, spacing);
            case EULER_ANCESTRAL -> new EulerAncestralScheduler(schedule, type, thresholding, spacing);
            case HEUN -> new KarrasHeunScheduler(schedule, type, thresholding, spacing);
            case SA_SOLVER -> new SaSolverScheduler(schedule, type, order, thresholding, spacing);
        };
        scheduler.setTimesteps(steps(settings.sampler(), settings.steps(), schedule.timesteps()));
        return scheduler;
    }
}
