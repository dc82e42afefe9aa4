package dev.ddpm.core.diffusion;

import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.PredictionType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a scheduler is asked for: the named defaults, the refusals, and the one order rule. */
class SchedulerSettingsTest {

    private static final DiffusionConfig LINEAR = DiffusionConfig.ho2020();

    @Test
    void aSamplerAloneTakesTheNamedDefaults() {
        SchedulerSettings ddim = SchedulerSettings.of(SamplerKind.DDIM);
        assertThat(ddim.steps()).isNull();
        assertThat(ddim.eta()).isEqualTo(0.0);
        assertThat(ddim.variance()).isEqualTo(DdpmVariance.FIXED_SMALL);
        assertThat(ddim.clipX0()).isTrue();
        assertThat(ddim.order()).isNull();
        assertThat(ddim.spacing()).isEqualTo(TimestepSpacing.LINSPACE);

        assertThat(SchedulerSettings.of(SamplerKind.DPM_SOLVER_PP).order()).isEqualTo(2);
        assertThat(SchedulerSettings.of(SamplerKind.UNIPC).order()).isEqualTo(Schedulers.DEFAULT_ORDER);
        assertThat(SchedulerSettings.of(SamplerKind.HEUN).spacing()).isEqualTo(TimestepSpacing.KARRAS);
        assertThat(SchedulerSettings.of(SamplerKind.EULER).spacing()).isEqualTo(TimestepSpacing.KARRAS);
        assertThat(SchedulerSettings.of(SamplerKind.EULER).order()).isNull();
    }

    @Test
    void theDefaultsAreASamplingRequestsDefaults() {
        SamplingRequest request = new SamplingRequest(
                "m", null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        SchedulerSettings settings = SchedulerSettings.of(request.sampler());
        assertThat(settings.eta()).isEqualTo(request.eta());
        assertThat(settings.variance()).isEqualTo(request.ddpmVariance());
        assertThat(settings.clipX0()).isEqualTo(request.clipX0());
        assertThat(settings.threshold()).isEqualTo(request.threshold());
        assertThat(settings.steps()).isEqualTo(request.steps());
    }

    @Test
    void eachWithChangesOneSettingAndNullGoesBackToTheDefault() {
        SchedulerSettings dpm = SchedulerSettings.of(SamplerKind.DPM_SOLVER_PP)
                .withSteps(7)
                .withOrder(3)
                .withSpacing(TimestepSpacing.KARRAS)
                .withClipX0(false)
                .withEta(0.5)
                .withVariance(DdpmVariance.FIXED_LARGE);
        assertThat(dpm)
                .isEqualTo(new SchedulerSettings(
                        SamplerKind.DPM_SOLVER_PP,
                        7,
                        0.5,
                        DdpmVariance.FIXED_LARGE,
                        false,
                        null,
                        3,
                        TimestepSpacing.KARRAS));
        assertThat(dpm.withOrder(null).order()).isEqualTo(2);
        assertThat(dpm.withSpacing(null).spacing()).isEqualTo(TimestepSpacing.LINSPACE);
        assertThat(dpm.withSteps(null).steps()).isNull();
        assertThat(dpm.withOrder(1))
                .isEqualTo(new SchedulerSettings(
                        SamplerKind.DPM_SOLVER_PP,
                        7,
                        0.5,
                        DdpmVariance.FIXED_LARGE,
                        false,
                        null,
                        1,
                        TimestepSpacing.KARRAS));
    }

    @Test
    void settingsThatNoSchedulerCouldRunAreRefused() {
        assertThatThrownBy(() -> SchedulerSettings.of(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("sampler");
        assertThatThrownBy(() -> SchedulerSettings.of(SamplerKind.DDPM).withVariance(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("variance");
        assertThatThrownBy(() -> SchedulerSettings.of(SamplerKind.DDIM).withSteps(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("steps must be >= 1 (null: the sampler's default), was 0");
        assertThatThrownBy(() -> SchedulerSettings.of(SamplerKind.UNIPC).withOrder(4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("order must be in 1..3, was 4");
        assertThatThrownBy(() -> SchedulerSettings.of(SamplerKind.DPM_SOLVER_PP).withOrder(0))
                .hasMessage("order must be in 1..3, was 0");
        assertThatThrownBy(() -> SchedulerSettings.of(SamplerKind.DDIM).withOrder(2))
                .hasMessage("order applies to the dpm++, unipc, dpm++sde and sa-solver samplers, not ddim");
        // DDIM alone reads eta, and it is DDIM that refuses one out of [0, 1].
        SchedulerSettings wildEta = SchedulerSettings.of(SamplerKind.DDIM).withEta(1.5);
        assertThatThrownBy(() -> Schedulers.create(LINEAR, wildEta)).hasMessageContaining("eta must be in [0, 1]");
    }

    @ParameterizedTest
    @EnumSource(
            value = SamplerKind.class,
            names = {"DPM_SOLVER_PP", "UNIPC"})
    void theSolversThemselvesKeepTheSameOrderRule(SamplerKind kind) {
        NoiseSchedule schedule = NoiseSchedule.from(LINEAR);
        TimestepSpacing linspace = TimestepSpacing.LINSPACE;
        for (int order : new int[] {0, 4}) {
            assertThatThrownBy(() -> {
                        if (kind == SamplerKind.UNIPC) {
                            new UniPcScheduler(schedule, PredictionType.EPSILON, order, Thresholding.NONE, linspace);
                        } else {
                            new DpmSolverPlusPlusScheduler(
                                    schedule, PredictionType.EPSILON, order, Thresholding.NONE, linspace);
                        }
                    })
                    .hasMessage(kind.wireName() + " order " + Schedulers.orderProblem(kind, order));
        }
        assertThat(Schedulers.orderProblem(kind, 4)).isEqualTo("must be in 1..3, was 4");
        for (int order = Schedulers.MIN_ORDER; order <= Schedulers.MAX_ORDER; order++) {
            assertThat(Schedulers.create(
                                    LINEAR,
                                    SchedulerSettings.of(kind).withOrder(order).withSteps(5))
                            .timesteps())
                    .hasSize(5);
        }
    }

    @Test
    void createResolvesTheStepsAgainstTheModelsTimesteps() {
        assertThat(Schedulers.create(LINEAR, SchedulerSettings.of(SamplerKind.DDPM))
                        .timesteps())
                .hasSize(1000);
        assertThat(Schedulers.create(LINEAR, SchedulerSettings.of(SamplerKind.DDIM))
                        .timesteps())
                .hasSize(50);
        assertThat(Schedulers.create(LINEAR, SchedulerSettings.of(SamplerKind.UNIPC))
                        .timesteps())
                .hasSize(20);
        assertThat(Schedulers.create(
                                LINEAR, SchedulerSettings.of(SamplerKind.DDIM).withSteps(7))
                        .timesteps())
                .hasSize(7);
        SchedulerSettings leading = SchedulerSettings.of(SamplerKind.EULER).withSpacing(TimestepSpacing.LEADING);
        assertThat(Schedulers.create(LINEAR, leading).timesteps())
                .containsExactly(TimestepSpacing.LEADING.timesteps(NoiseSchedule.from(LINEAR), 20));
    }
}
