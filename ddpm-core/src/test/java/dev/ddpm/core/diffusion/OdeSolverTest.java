package dev.ddpm.core.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.PredictionType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The probability-flow ODE solvers against Gaussian data N(mu, s^2), whose exact denoiser and ODE
 * solution are known in closed form: along the flow x_t = alpha_t mu + sqrt(alpha_t^2 s^2 +
 * sigma_t^2) z with z fixed, so every solver's error can be measured exactly, and its order
 * observed as the steps double.
 */
class OdeSolverTest {

    private static final DiffusionConfig LINEAR = DiffusionConfig.ho2020();
    private static final float[] MU = {0.3f, -0.5f, 0.1f, 0.0f};
    private static final float[] S = {0.4f, 0.2f, 0.7f, 1.0f};

    /** E[x_0 | x_t] for N(mu, s^2) data, and the model output a network of the given type would give. */
    private static float[] output(float[] x, int t, NoiseSchedule schedule, PredictionType type) {
        NoiseLevel l = schedule.level(t);
        float[] x0 = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double s2 = S[i] * S[i];
            x0[i] = (float) (MU[i]
                    + l.alpha()
                            * s2
                            / (l.alpha() * l.alpha() * s2 + l.sigma() * l.sigma())
                            * (x[i] - l.alpha() * MU[i]));
        }
        ForwardProcess forward = new ForwardProcess(schedule);
        float[] eps = forward.epsFromX0(x0, x, t);
        return type == PredictionType.EPSILON ? eps : forward.target(x0, eps, t, type);
    }

    /** The exact flow from x at timestep `from` to timestep `to` (-1: clean data). */
    private static double[] exact(float[] x, int from, int to, NoiseSchedule schedule) {
        NoiseLevel a = schedule.level(from);
        NoiseLevel b = schedule.level(to);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double s2 = S[i] * S[i];
            double z = (x[i] - a.alpha() * MU[i]) / Math.sqrt(a.alpha() * a.alpha() * s2 + a.sigma() * a.sigma());
            out[i] = b.alpha() * MU[i] + Math.sqrt(b.alpha() * b.alpha() * s2 + b.sigma() * b.sigma()) * z;
        }
        return out;
    }

    private static final float[] START = {1.2f, -0.7f, 0.4f, -1.5f};

    /** Runs every call but the last (which jumps to clean data); returns the max error at t = 0. */
    private static double errorAtTimestepZero(Scheduler scheduler, NoiseSchedule schedule, PredictionType type) {
        int[] calls = scheduler.timesteps();
        float[] x = START.clone();
        for (int k = 0; k < calls.length - 1; k++) {
            x = scheduler
                    .step(output(x, calls[k], schedule, type), calls[k], x, (s, n) -> new float[n])
                    .prevSample();
        }
        double[] truth = exact(START, calls[0], calls[calls.length - 1], schedule);
        double error = 0;
        for (int i = 0; i < x.length; i++) {
            error = Math.max(error, Math.abs(x[i] - truth[i]));
        }
        return error;
    }

    @ParameterizedTest(name = "{0} order {1}, {3}: observed order >= {2}")
    @CsvSource({
        "DPM_SOLVER_PP, 1, 0.9, EPSILON",
        "DPM_SOLVER_PP, 2, 1.8, EPSILON",
        "DPM_SOLVER_PP, 3, 2.8, EPSILON",
        "DPM_SOLVER_PP, 2, 1.8, V",
        "UNIPC, 1, 1.5, EPSILON",
        "UNIPC, 2, 2.1, EPSILON",
        "UNIPC, 3, 2.1, V",
        "EULER, 0, 0.9, EPSILON",
        "HEUN, 0, 1.9, EPSILON",
    })
    void theErrorFallsWithTheSolversOrderAsStepsDouble(
            SamplerKind kind, int order, double minimumOrder, PredictionType type) {
        // T = 1025, so that linspace steps of 2^k + 1 are exactly uniform in t.
        DiffusionConfig config = DiffusionConfig.builder()
                .timesteps(1025)
                .schedule(BetaSchedule.LINEAR)
                .predictionType(type)
                .build();
        NoiseSchedule schedule = NoiseSchedule.from(config);
        int[] steps = {33, 65, 129, 257, 513};
        double[] errors = new double[steps.length];
        for (int k = 0; k < steps.length; k++) {
            Scheduler scheduler = Schedulers.create(
                    config,
                    SchedulerSettings.of(kind)
                            .withSteps(steps[k])
                            .withClipX0(false)
                            .withOrder(order == 0 ? null : order)
                            .withSpacing(TimestepSpacing.LINSPACE));
            errors[k] = errorAtTimestepZero(scheduler, schedule, type);
        }
        // log2 of the error ratio of the last doubling: the order the solver shows (from 257 to 513 steps,
        // measured: DPM-Solver++ 1.00 / 2.04 / 3.37, UniPC 1.74 / 2.34 / 2.26 (its corrector adds an order
        // where the warm-up and the lower final orders allow), Euler 1.00, Heun 2.01).
        int last = steps.length - 1;
        double observed = Math.log(errors[last - 1] / errors[last]) / Math.log(2);
        assertThat(errors[last]).as("errors %s", Arrays.toString(errors)).isLessThan(errors[0]);
        assertThat(observed)
                .as("observed order, errors %s", Arrays.toString(errors))
                .isGreaterThanOrEqualTo(minimumOrder);
    }

    @Test
    void firstOrderDpmSolverPlusPlusAndEulerAreDdimWithEtaZero() {
        for (TimestepSpacing spacing : TimestepSpacing.values()) {
            Scheduler ddim = Schedulers.create(
                    LINEAR,
                    SchedulerSettings.of(SamplerKind.DDIM)
                            .withSteps(12)
                            .withClipX0(false)
                            .withSpacing(spacing));
            Scheduler dpm = Schedulers.create(
                    LINEAR,
                    SchedulerSettings.of(SamplerKind.DPM_SOLVER_PP)
                            .withSteps(12)
                            .withClipX0(false)
                            .withOrder(1)
                            .withSpacing(spacing));
            Scheduler euler = Schedulers.create(
                    LINEAR,
                    SchedulerSettings.of(SamplerKind.EULER)
                            .withSteps(12)
                            .withClipX0(false)
                            .withSpacing(spacing));
            NoiseSchedule schedule = NoiseSchedule.from(LINEAR);
            float[] a = START.clone();
            float[] b = START.clone();
            float[] c = START.clone();
            for (int t : ddim.timesteps()) {
                a = ddim.step(output(a, t, schedule, PredictionType.EPSILON), t, a, (s, n) -> new float[n])
                        .prevSample();
                b = dpm.step(output(b, t, schedule, PredictionType.EPSILON), t, b, (s, n) -> new float[n])
                        .prevSample();
                c = euler.step(output(c, t, schedule, PredictionType.EPSILON), t, c, (s, n) -> new float[n])
                        .prevSample();
                for (int i = 0; i < a.length; i++) {
                    assertThat(b[i]).as("%s at t=%d", spacing, t).isCloseTo(a[i], within(2e-6f));
                    assertThat(c[i]).as("%s at t=%d", spacing, t).isCloseTo(a[i], within(2e-6f));
                }
            }
        }
    }

    /** Trajectories from diffusers' formulas in numpy (src/test/resources/solvers/reference.py). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "dpm++1, DPM_SOLVER_PP, 1, LINSPACE",
        "dpm++2, DPM_SOLVER_PP, 2, LINSPACE",
        "dpm++3, DPM_SOLVER_PP, 3, LINSPACE",
        "dpm++2-karras, DPM_SOLVER_PP, 2, KARRAS",
        "unipc1, UNIPC, 1, LINSPACE",
        "unipc2, UNIPC, 2, LINSPACE",
        "unipc3, UNIPC, 3, LINSPACE",
        "euler, EULER, 0, KARRAS",
        "heun, HEUN, 0, KARRAS",
    })
    void everyStepMatchesTheIndependentNumpyReference(String name, SamplerKind kind, int order, TimestepSpacing spacing)
            throws IOException {
        JsonNode reference;
        try (InputStream in = getClass().getResourceAsStream("/solvers/reference.json")) {
            reference = new ObjectMapper().readTree(in);
        }
        assertThat(floats(reference.get("mu"))).containsExactly(MU[0], MU[1], MU[2]);
        assertThat(floats(reference.get("s"))).containsExactly(S[0], S[1], S[2]);
        int steps = reference.get("steps").asInt();
        Scheduler scheduler = Schedulers.create(
                LINEAR,
                SchedulerSettings.of(kind)
                        .withSteps(steps)
                        .withClipX0(false)
                        .withOrder(order == 0 ? null : order)
                        .withSpacing(spacing));
        int[] expectedLevels = ints(reference.get(spacing == TimestepSpacing.KARRAS ? "karras" : "linspace"));
        assertThat(
                        kind == SamplerKind.HEUN
                                ? scheduler.timesteps()[0]
                                : scheduler.timesteps()[9])
                .isEqualTo(kind == SamplerKind.HEUN ? expectedLevels[0] : expectedLevels[9]);
        assertThat(TimestepSpacing.valueOf(spacing.name()).timesteps(NoiseSchedule.from(LINEAR), steps))
                .containsExactly(expectedLevels);
        NoiseSchedule schedule = NoiseSchedule.from(LINEAR);
        float[] x = floats(reference.get("xT"));
        float[] padded = {x[0], x[1], x[2], 0f};
        JsonNode trajectory = reference.get("trajectories").get(name);
        int[] calls = scheduler.timesteps();
        assertThat(calls).hasSize(trajectory.size());
        for (int k = 0; k < calls.length; k++) {
            padded = scheduler
                    .step(
                            output(padded, calls[k], schedule, PredictionType.EPSILON),
                            calls[k],
                            padded,
                            (s, n) -> new float[n])
                    .prevSample();
            float[] expected = floats(trajectory.get(k));
            for (int i = 0; i < 3; i++) {
                assertThat((double) padded[i])
                        .as("%s call %d (t=%d) coordinate %d", name, k, calls[k], i)
                        .isCloseTo(expected[i], within(2e-5 * Math.max(1, Math.abs(expected[i]))));
            }
        }
    }

    @Test
    void theSpacingsAreDiffusersOnes() {
        NoiseSchedule schedule = NoiseSchedule.from(LINEAR);
        assertThat(TimestepSpacing.LINSPACE.timesteps(schedule, 10))
                .containsExactly(999, 888, 777, 666, 555, 444, 333, 222, 111, 0);
        assertThat(TimestepSpacing.LEADING.timesteps(schedule, 10))
                .containsExactly(900, 800, 700, 600, 500, 400, 300, 200, 100, 0);
        assertThat(TimestepSpacing.TRAILING.timesteps(schedule, 10))
                .containsExactly(999, 899, 799, 699, 599, 499, 399, 299, 199, 99);
        int[] karras = TimestepSpacing.KARRAS.timesteps(schedule, 10);
        assertThat(karras[0]).isEqualTo(999);
        assertThat(karras[9]).isEqualTo(0);
        // Dense near the data: the last interval is far shorter than the first.
        assertThat(karras[8] - karras[9]).isLessThan((karras[0] - karras[1]) / 2);
        for (TimestepSpacing spacing : TimestepSpacing.values()) {
            for (int n : new int[] {1, 2, 7, 999, 1000}) {
                int[] t = spacing.timesteps(schedule, n);
                assertThat(t).hasSize(n);
                for (int i = 1; i < n; i++) {
                    assertThat(t[i])
                            .as("%s %d steps, descending and distinct", spacing, n)
                            .isLessThan(t[i - 1]);
                }
                assertThat(t[n - 1]).isGreaterThanOrEqualTo(0);
                assertThat(t[0]).isLessThanOrEqualTo(999);
            }
        }
        assertThatThrownBy(() -> TimestepSpacing.parse("uniform")).hasMessageContaining("linspace, leading");
    }

    @Test
    void heunCallsTheNetworkTwicePerStepButTheLastAndStatefulSolversRefuseOutOfOrderCalls() {
        Scheduler heun = Schedulers.create(
                LINEAR, SchedulerSettings.of(SamplerKind.HEUN).withSteps(4).withClipX0(false));
        int[] calls = heun.timesteps();
        assertThat(calls).hasSize(7);
        assertThat(calls[1]).isEqualTo(calls[2]);
        assertThat(Schedulers.evaluations(SamplerKind.HEUN, 4)).isEqualTo(7);
        Scheduler dpm = Schedulers.create(
                LINEAR,
                SchedulerSettings.of(SamplerKind.DPM_SOLVER_PP).withSteps(10).withClipX0(false));
        assertThatThrownBy(() -> dpm.step(new float[1], 888, new float[1], (s, n) -> new float[n]))
                .hasMessageContaining("timestep 888 is not this scheduler's next one (999");
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
