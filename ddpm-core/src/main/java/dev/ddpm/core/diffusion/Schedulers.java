package dev.ddpm.core.diffusion;

import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.model.DiffusionConfig;

/** Builds a request's scheduler from a model's diffusion settings (the manifest) and the request. */
public final class Schedulers {

    private Schedulers() {
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
