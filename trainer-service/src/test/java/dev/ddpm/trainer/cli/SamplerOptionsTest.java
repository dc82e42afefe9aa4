package dev.ddpm.trainer.cli;

import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.model.DiffusionConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SamplerOptionsTest {

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
                .isEqualTo("unipc 20 steps, order 2, linspace (20 evaluations)");
        assertThat(parse("--sampler", "ddim").description(DiffusionConfig.ho2020()))
                .isEqualTo("ddim 50 steps, eta 0.0, linspace (50 evaluations)");
        assertThat(parse("--sampler", "ddpm", "--steps", "250", "--variance", "fixed_large")
                        .description(DiffusionConfig.ho2020()))
                .isEqualTo("ddpm 250 steps, fixed_large, linspace (250 evaluations)");
    }

    @Test
    void wrongOptionsAreUsageErrors() {
        assertThat(evaluate("--sampler", "rk4").err())
                .contains("'--sampler': must be ddpm, ddim, dpm++, unipc, euler or heun, was 'rk4'");
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
                .contains("error: sample-grid: --order is 1, 2 or 3, for --sampler dpm++ or unipc");
    }

    /** evaluate with these options against a run that is never reached: the options fail first. */
    private static CliRun evaluate(String... options) {
        String[] args = new String[options.length + 5];
        System.arraycopy(new String[] {"evaluate", "--run", "run-a", "--mnist", "/nowhere"}, 0, args, 0, 5);
        System.arraycopy(options, 0, args, 5, options.length);
        return CliRun.of(args);
    }
}
