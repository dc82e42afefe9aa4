package dev.ddpm.trainer.cli;

import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.model.DiffusionConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplerOptionsTest {

    private static SamplerOptions parse(String... args) {
        return SamplerOptions.parse(new Arguments("evaluate", args, 0, SamplerOptions.withGuidance()),
                dev.ddpm.core.api.SamplingRequest.DEFAULT_SAMPLER);
    }

    @Test
    void theSamplersAreChosenWithTheSamplerServicesDefaults() {
        SamplerOptions dpm = parse("--sampler", "dpm++", "--order", "3", "--spacing", "karras", "--steps", "15");
        assertThat(dpm.kind()).isEqualTo(SamplerKind.DPM_SOLVER_PP);
        assertThat(dpm.spacing()).isEqualTo(TimestepSpacing.KARRAS);
        assertThat(dpm.description(DiffusionConfig.ho2020())).isEqualTo("dpm++ 15 steps, order 3, karras (15 evaluations)");
        assertThat(dpm.schedulers(DiffusionConfig.ho2020()).get().timesteps()).hasSize(15);
        assertThat(parse("--sampler", "heun").description(DiffusionConfig.ho2020()))
                .isEqualTo("heun 10 steps, karras (19 evaluations)");
        assertThat(parse().description(DiffusionConfig.ho2020())).isEqualTo("unipc 20 steps, order 2, linspace (20 evaluations)");
        assertThat(parse("--sampler", "ddim").description(DiffusionConfig.ho2020()))
                .isEqualTo("ddim 50 steps, eta 0.0, linspace (50 evaluations)");
    }

    @Test
    void wrongOptionsAreUsageErrors() {
        assertThatThrownBy(() -> parse("--sampler", "rk4")).hasMessageContaining("--sampler must be ddpm, ddim, dpm++");
        assertThatThrownBy(() -> parse("--sampler", "ddim", "--order", "2")).hasMessageContaining("--order is 1, 2 or 3");
        assertThatThrownBy(() -> parse("--sampler", "unipc", "--order", "4")).hasMessageContaining("--order is 1, 2 or 3");
        assertThatThrownBy(() -> parse("--spacing", "uniform")).hasMessageContaining("--spacing must be linspace");
    }
}
