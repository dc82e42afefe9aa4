package dev.ddpm.core.diffusion;

import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.model.DiffusionConfig;

/** Builds a request's scheduler from a model's diffusion settings (the manifest) and the request. */
public final class Schedulers {

    /** DDIM's step count when a request names none. */
    public static final int DEFAULT_DDIM_STEPS = 50;

    private Schedulers() {
    }

    /**
     * The reverse steps a request runs: the ones it names, else all T for DDPM and
     * {@value #DEFAULT_DDIM_STEPS} (at most T) for DDIM. A request costs count x this many network
     * evaluations, the unit of the sampler's queue bound and the gateway's rate limit.
     */
    public static int steps(SamplerKind kind, Integer requested, int timesteps) {
        if (requested != null && requested > 0) {
            return requested;
        }
        return kind == SamplerKind.DDIM ? Math.min(DEFAULT_DDIM_STEPS, timesteps) : timesteps;
    }

    /**
     * @param steps    reverse steps; {@code null} means all T
     * @param eta      DDIM eta (ignored by DDPM)
     * @param variance DDPM variance (ignored by DDIM)
     */
    public static Scheduler create(DiffusionConfig diffusion, SamplerKind kind, Integer steps, double eta,
                                   DdpmVariance variance, boolean clipX0) {
        NoiseSchedule schedule = NoiseSchedule.from(diffusion);
        Scheduler scheduler = kind == SamplerKind.DDIM
                ? new DdimScheduler(schedule, diffusion.predictionType(), eta, clipX0)
                : new DdpmScheduler(schedule, diffusion.predictionType(), variance, clipX0);
        scheduler.setTimesteps(steps == null ? schedule.timesteps() : steps);
        return scheduler;
    }
}
