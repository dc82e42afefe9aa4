package dev.ddpm.trainer.cli;

import dev.ddpm.core.diffusion.DpmSolverPlusPlusScheduler;
import dev.ddpm.core.diffusion.EulerAncestralScheduler;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.Scheduler;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.model.DiffusionConfig;
import org.junit.jupiter.api.Test;

import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

class SamplerOptionsTest {

    private static final DiffusionConfig LINEAR = DiffusionConfig.ho2020();

    private static SamplerOptions parse(String... options) {
        String[] args = new String[options.length + 5];
        System.arraycopy(new String[] {"evaluate", "--run", "run-a", "--mnist", "/mnist"}, 0, args, 0, 5);
        System.arraycopy(options, 0, args, 5, options.length);
        SamplerOptions sampler =
                (SamplerOptions) CliRun.parsed(args).getMixins().get("sampler");
        sampler.check();
        return sampler;
    }

    @Test
    void theSamplersAreChosenWithTheSamplerServicesDefaults() {
        SamplerOptions dpm = parse("--sampler", "dpm++", "--order", "3", "--spacing", "karras", "--steps", "15");
        assertThat(dpm.kind()).isEqualTo(SamplerKind.DPM_SOLVER_PP);
        assertThat(dpm.spacing()).isEqualTo(TimestepSpacing.KARRAS);
        assertThat(dpm.description(DiffusionConfig.ho2020()))
                .isEqualTo("dpm++ 15 steps, order 3, karras (15 evaluations)");
        assertThat(dpm.schedulers(DiffusionConfig.ho2020()).get().timesteps()).hasSize(15);
        assertThat(parse("--sampler", "heun").description(DiffusionConfig.ho2020()))
                .isEqualTo("heun 10 steps, karras (19 evaluations)");
        assertThat(parse().description(DiffusionConfig.ho2020()))
                .isEqualTo("dpm++sde 25 steps, order 2, linspace (25 evaluations)");
        assertThat(parse("--sampler", "ddim").description(DiffusionConfig.ho2020()))
                .isEqualTo("ddim 50 steps, eta 0.0, linspace (50 evaluations)");
        assertThat(parse("--sampler", "ddpm", "--steps", "250", "--variance", "fixed_large")
                        .description(DiffusionConfig.ho2020()))
                .isEqualTo("ddpm 250 steps, fixed_large, linspace (250 evaluations)");
    }

    @Test
    void theStochasticSamplersAndDynamicThresholdingAreChosenByName() {
        SamplerOptions sde = parse("--sampler", "dpm++sde", "--order", "3", "--steps", "12", "--threshold", "0.995");
        assertThat(sde.kind()).isEqualTo(SamplerKind.DPM_SOLVER_PP_SDE);
        assertThat(sde.description(DiffusionConfig.ho2020()))
                .isEqualTo("dpm++sde 12 steps, order 3, threshold 0.995, linspace (12 evaluations)");
        Scheduler scheduler = sde.schedulers(DiffusionConfig.ho2020()).get();
        assertThat(scheduler).isInstanceOf(DpmSolverPlusPlusScheduler.class);
        assertThat(scheduler.timesteps()).hasSize(12);

        SamplerOptions ancestral = parse("--sampler", "euler-ancestral", "--threshold", "1");
        assertThat(ancestral.kind()).isEqualTo(SamplerKind.EULER_ANCESTRAL);
        assertThat(ancestral.description(DiffusionConfig.ho2020()))
                .isEqualTo("euler-ancestral 25 steps, threshold 1.0, linspace (25 evaluations)");
        assertThat(ancestral.schedulers(DiffusionConfig.ho2020()).get()).isInstanceOf(EulerAncestralScheduler.class);
        assertThat(parse("--sampler", "sa-solver", "--order", "1").kind()).isEqualTo(SamplerKind.SA_SOLVER);
    }

    /**
     * The threshold reaches the schedulers: the x_0 a step predicts is the one ddpm-core's dynamic
     * thresholding gives, not the clipped one the same options give without --threshold.
     */
    @Test
    void theThresholdReachesTheSchedulers() {
        SchedulerSettings asked = SchedulerSettings.of(SamplerKind.DDIM).withSteps(1);
        float[] thresholded = firstX0(
                parse("--sampler", "ddim", "--steps", "1", "--threshold", "0.5").schedulers(LINEAR));
        assertThat(thresholded).containsExactly(firstX0(() -> Schedulers.create(LINEAR, asked.withThreshold(0.5))));
        assertThat(thresholded)
                .isNotEqualTo(firstX0(parse("--sampler", "ddim", "--steps", "1").schedulers(LINEAR)));
    }

    /** The x_0 predicted at the first timestep for x_t spread over [-5, 5) and a zero noise prediction. */
    private static float[] firstX0(Supplier<Scheduler> schedulers) {
        Scheduler scheduler = schedulers.get();
        float[] x = new float[100];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i - 50) / 10f;
        }
        return scheduler
                .step(new float[x.length], scheduler.timesteps()[0], x, (step, n) -> new float[n])
                .predictedX0();
    }

    @Test
    void wrongOptionsAreUsageErrors() {
        assertThat(evaluate("--sampler", "rk4").err())
                .contains("'--sampler': must be ddpm, ddim, dpm++, unipc, euler, heun, dpm++sde, euler-ancestral or "
                        + "sa-solver, was 'rk4'");
        assertThat(evaluate("--sampler", "ddim", "--order", "2").err()).contains("--order is 1, 2 or 3");
        assertThat(evaluate("--sampler", "unipc", "--order", "4").err()).contains("--order is 1, 2 or 3");
        assertThat(evaluate("--spacing", "uniform").err())
                .contains("'--spacing': must be linspace, leading, trailing or karras, was 'uniform'");
        assertThat(evaluate("--variance", "learned").err())
                .contains("'--variance': must be fixed_small or fixed_large, was 'learned'");
        assertThat(evaluate("--sampler", "ddim", "--order", "2").exitCode()).isEqualTo(2);
        // sample-grid checks them too, before any checkpoint is read.
        assertThat(CliRun.of("sample-grid", "--run", "run-a", "--out", "grid.png", "--sampler", "euler", "--order", "2")
                        .err())
                .contains(
                        "error: sample-grid: --order is 1, 2 or 3, for --sampler dpm++, unipc, dpm++sde or sa-solver");
        assertThat(evaluate("--sampler", "euler-ancestral", "--order", "2").err())
                .contains("--order is 1, 2 or 3, for --sampler dpm++, unipc, dpm++sde or sa-solver");
        assertThat(evaluate("--threshold", "1.5").err())
                .contains("error: evaluate: --threshold must be a percentile in (0, 1], was 1.5");
        assertThat(evaluate("--threshold", "0").exitCode()).isEqualTo(2);
    }

    /** evaluate with these options against a run that is never reached: the options fail first. */
    private static CliRun evaluate(String... options) {
        String[] args = new String[options.length + 5];
        System.arraycopy(new String[] {"evaluate", "--run", "run-a", "--mnist", "/nowhere"}, 0, args, 0, 5);
        System.arraycopy(options, 0, args, 5, options.length);
        return CliRun.of(args);
    }
}
