package dev.ddpm.core.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.PredictionType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static dev.ddpm.core.diffusion.GaussianData.MU;
import static dev.ddpm.core.diffusion.GaussianData.S;
import static dev.ddpm.core.diffusion.JsonArrays.doubles;
import static dev.ddpm.core.diffusion.JsonArrays.floats;
import static dev.ddpm.core.diffusion.JsonArrays.ints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The probability-flow ODE solvers against Gaussian data N(mu, s^2), whose exact denoiser and ODE
 * solution are known in closed form: along the flow x_t = alpha_t mu + sqrt(alpha_t^2 s^2 +
 * sigma_t^2) z with z fixed, so every solver's error can be measured exactly, and its order
 * observed as the steps double. The golden trajectories and grids come from diffusers' own scheduler
 * code transcribed to numpy (src/test/resources/solvers/reference.py).
 */
class OdeSolverTest {

    private static final DiffusionConfig LINEAR = DiffusionConfig.ho2020();
    private static final float[] START = {1.2f, -0.7f, 0.4f, -1.5f};
    private static final GaussianNoise NO_NOISE = (step, length) -> new float[length];
    private static final JsonNode REFERENCE = reference();

    /** What a perfect network of the given type outputs at (x, t) for the Gaussian data. */
    private static float[] output(float[] x, int t, NoiseSchedule schedule, PredictionType type) {
        return GaussianData.output(x, schedule.level(t), type);
    }

    /** The exact flow from x at timestep `from` to timestep `to` (-1: clean data). */
    private static double[] exact(float[] x, int from, int to, NoiseSchedule schedule) {
        return GaussianData.exactFlow(x, schedule.level(from), schedule.level(to));
    }

    private static Scheduler create(
            DiffusionConfig config, SamplerKind kind, int order, TimestepSpacing spacing, int n) {
        return Schedulers.create(
                config,
                SchedulerSettings.of(kind)
                        .withSteps(n)
                        .withClipX0(false)
                        .withOrder(order == 0 ? null : order)
                        .withSpacing(spacing));
    }

    /** The state the solver hands to its (last) call at timestep {@code at}: its x_t there. */
    private static float[] stateAt(Scheduler scheduler, int at, NoiseSchedule schedule, PredictionType type) {
        int[] calls = scheduler.timesteps();
        float[] x = START.clone();
        float[] state = null;
        for (int k = 0; k < calls.length && calls[k] >= at; k++) {
            if (calls[k] == at) {
                state = x.clone(); // Heun visits each level twice: the second call sees the corrected state
            }
            x = scheduler
                    .step(output(x, calls[k], schedule, type), calls[k], x, NO_NOISE)
                    .prevSample();
        }
        assertThat(state)
                .as("the grid %s reaches t=%d", Arrays.toString(calls), at)
                .isNotNull();
        return state;
    }

    private static double maxError(float[] x, double[] truth) {
        double error = 0;
        for (int i = 0; i < x.length; i++) {
            error = Math.max(error, Math.abs(x[i] - truth[i]));
        }
        return error;
    }

    /**
     * The convergence order each solver shows at an interior time, t = 256 of T = 1025 (where the grids of
     * 2^k (multistep) or 2^k + 1 steps land exactly, uniform in t), away from the last steps whose lowered
     * orders would blur it. The order is the mean slope of log2(error) over the doublings; the error at the
     * coarsest grid pins the constant as well, since some wrong formulas keep the order and change only
     * the constant. The float state limits the errors that can be seen to about 1e-6, hence fewer
     * doublings for the fourth order. Measured (order, error at the coarsest N; a wrong formula's in brackets):
     * DPM-Solver++ 1: 1.00, 3.16e-2 (Euler's step, and Euler's figures)
     * DPM-Solver++ 2: 2.06, 2.42e-3 (r0 = h / h0: 2.02, 1.92e-3; its leading error telescopes over the steps)
     * DPM-Solver++ 3: 1.84, 1.53e-4 (no D2 term: 2.1, 4.53e-4; diffusers' D2 weight integrates half the
     *   curvature term, see MultistepUpdateTest, so the order is 2 with a smaller constant than 2M's)
     * DPM-Solver++ 2 on v-prediction: 2.07, 2.42e-3
     * UniPC 1: 1.96, 6.59e-3 (the corrector adds an order)
     * UniPC 2: 2.96 over N = 32..128, 1.51e-4 (corrector rho always 1/2: 0.83, 2.38e-2)
     * UniPC 3: 3.71 over N = 16..64, 1.76e-3 (corrector rho always 1/2: 0.60, 6.45e-2)
     * Euler: 1.00, 3.16e-2; Heun: 2.02, 4.32e-3
     */
    @ParameterizedTest(name = "{0} order {1}, {2}: from N = {3}, order {5} to {6}, error {7}")
    @CsvSource({
        "DPM_SOLVER_PP, 1, EPSILON, 32, 4, 0.9, 1.1, 0.0316",
        "DPM_SOLVER_PP, 2, EPSILON, 32, 4, 1.9, 2.2, 0.00242",
        "DPM_SOLVER_PP, 3, EPSILON, 32, 4, 1.7, 2.2, 0.000153",
        "DPM_SOLVER_PP, 2, V,       32, 4, 1.9, 2.2, 0.00242",
        "UNIPC,         1, EPSILON, 32, 4, 1.85, 2.1, 0.00659",
        "UNIPC,         2, EPSILON, 32, 3, 2.8, 3.2, 0.000151",
        "UNIPC,         3, EPSILON, 16, 3, 3.5, 4.2, 0.00176",
        "EULER,         0, EPSILON, 33, 4, 0.9, 1.1, 0.0316",
        "HEUN,          0, EPSILON, 33, 4, 1.9, 2.1, 0.00432",
    })
    void atAnInteriorTimeEachSolverShowsItsOrderAndItsErrorConstant(
            SamplerKind kind,
            int order,
            PredictionType type,
            int coarsest,
            int grids,
            double minimumOrder,
            double maximumOrder,
            double coarsestError) {
        DiffusionConfig config = DiffusionConfig.builder()
                .timesteps(1025)
                .schedule(BetaSchedule.LINEAR)
                .predictionType(type)
                .build();
        NoiseSchedule schedule = NoiseSchedule.from(config);
        int interior = 256;
        double[] errors = new double[grids];
        int[] steps = new int[grids];
        for (int k = 0; k < grids; k++) {
            // multistep: 2^j steps, others 2^j + 1 (coarsest names it), both a spacing of 1024 / 2^j in t
            steps[k] = ((coarsest & ~1) << k) + (coarsest & 1);
            Scheduler scheduler = create(config, kind, order, TimestepSpacing.LINSPACE, steps[k]);
            float[] state = stateAt(scheduler, interior, schedule, type);
            errors[k] = maxError(state, exact(START, scheduler.timesteps()[0], interior, schedule));
        }
        double observed = Math.log(errors[0] / errors[grids - 1]) / Math.log(2) / (grids - 1);
        assertThat(observed)
                .as("observed order, errors %s for N %s", Arrays.toString(errors), Arrays.toString(steps))
                .isBetween(minimumOrder, maximumOrder);
        assertThat(errors[0]).as("error at N = %d", steps[0]).isBetween(coarsestError * 0.9, coarsestError * 1.1);
    }

    /**
     * The point of the multistep solvers' own grid: at few steps DPM-Solver++(2M) and UniPC-2, as {@link
     * Schedulers#create} builds them by default, land closer to the exact flow's x_0 than DDIM. On DDIM's
     * grid they did not (measured RMS at N = 10 / 20 on DDIM's grid: DDIM 0.166 / 0.083, DPM++2 0.266 / 0.113,
     * UniPC-2 0.290 / 0.110; on their own: 0.083 / 0.026, 0.077 / 0.026).
     */
    @ParameterizedTest(name = "N = {0}")
    @CsvSource({"10", "20"})
    void atFewStepsTheSecondOrderSolversBeatDdim(int steps) {
        NoiseSchedule schedule = NoiseSchedule.from(LINEAR);
        double ddim = rmsAtCleanData(
                Schedulers.create(
                        LINEAR,
                        SchedulerSettings.of(SamplerKind.DDIM).withSteps(steps).withClipX0(false)),
                schedule);
        for (SamplerKind kind : new SamplerKind[] {SamplerKind.DPM_SOLVER_PP, SamplerKind.UNIPC}) {
            Scheduler scheduler = Schedulers.create(
                    LINEAR, SchedulerSettings.of(kind).withSteps(steps).withClipX0(false));
            assertThat(rmsAtCleanData(scheduler, schedule))
                    .as("%s at N = %d against DDIM's %s", kind, steps, ddim)
                    .isLessThan(0.6 * ddim);
        }
    }

    /** RMS of x_0 against the exact flow's from the same x_T at t = T - 1. */
    private static double rmsAtCleanData(Scheduler scheduler, NoiseSchedule schedule) {
        int[] calls = scheduler.timesteps();
        assertThat(calls[0]).isEqualTo(schedule.timesteps() - 1);
        float[] x = START.clone();
        for (int t : calls) {
            x = scheduler
                    .step(output(x, t, schedule, PredictionType.EPSILON), t, x, NO_NOISE)
                    .prevSample();
        }
        double[] truth = exact(START, calls[0], -1, schedule);
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += (x[i] - truth[i]) * (x[i] - truth[i]);
        }
        return Math.sqrt(sum / x.length);
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
            Scheduler dpm = create(LINEAR, SamplerKind.DPM_SOLVER_PP, 1, spacing, 12);
            Scheduler euler = create(LINEAR, SamplerKind.EULER, 0, spacing, 12);
            // DPM-Solver++ runs on the multistep grid, which is DDIM's only for trailing and karras.
            boolean sameGrid = Arrays.equals(dpm.timesteps(), ddim.timesteps());
            assertThat(sameGrid).isEqualTo(spacing == TimestepSpacing.TRAILING || spacing == TimestepSpacing.KARRAS);
            NoiseSchedule schedule = NoiseSchedule.from(LINEAR);
            float[] a = START.clone();
            float[] b = START.clone();
            float[] c = START.clone();
            for (int t : ddim.timesteps()) {
                a = ddim.step(output(a, t, schedule, PredictionType.EPSILON), t, a, NO_NOISE)
                        .prevSample();
                c = euler.step(output(c, t, schedule, PredictionType.EPSILON), t, c, NO_NOISE)
                        .prevSample();
                if (sameGrid) {
                    b = dpm.step(output(b, t, schedule, PredictionType.EPSILON), t, b, NO_NOISE)
                            .prevSample();
                }
                for (int i = 0; i < a.length; i++) {
                    assertThat(c[i]).as("%s at t=%d", spacing, t).isCloseTo(a[i], within(2e-6f));
                    if (sameGrid) {
                        assertThat(b[i]).as("%s at t=%d", spacing, t).isCloseTo(a[i], within(2e-6f));
                    }
                }
            }
        }
    }

    static Stream<String> trajectories() {
        List<String> names = new ArrayList<>();
        REFERENCE.get("trajectories").fieldNames().forEachRemaining(names::add);
        return names.stream();
    }

    /**
     * Every call of every solver against diffusers' code (reference.py), to float precision: the grid, and
     * the state after each call. The stochastic solvers draw the stored noise of each step's timestep.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("trajectories")
    void everyStepMatchesDiffusers(String name) {
        assertThat(REFERENCE.get("T").asInt()).isEqualTo(LINEAR.timesteps());
        assertThat(doubles(REFERENCE.get("mu"))).containsExactly(MU[0], MU[1], MU[2]);
        assertThat(doubles(REFERENCE.get("s"))).containsExactly(S[0], S[1], S[2]);
        JsonNode trajectory = REFERENCE.get("trajectories").get(name);
        SamplerKind kind = SamplerKind.valueOf(trajectory.get("sampler").asText());
        int steps = trajectory.get("steps").asInt();
        Scheduler scheduler = create(
                LINEAR,
                kind,
                trajectory.get("order").asInt(),
                TimestepSpacing.valueOf(trajectory.get("spacing").asText()),
                steps);
        int[] levels = ints(trajectory.get("timesteps"));
        int[] calls = scheduler.timesteps();
        if (kind == SamplerKind.HEUN) {
            assertThat(calls).hasSize(KarrasHeunScheduler.calls(steps));
            assertThat(Arrays.stream(calls).distinct().toArray()).containsExactly(levels);
        } else {
            assertThat(calls).containsExactly(levels);
        }
        JsonNode noise = REFERENCE.get("noise");
        GaussianNoise stored = (key, length) -> {
            JsonNode draw = noise.get(Integer.toString(key));
            assertThat(draw).as("%s draws noise for step %d", name, key).isNotNull();
            return Arrays.copyOf(floats(draw), length);
        };
        NoiseSchedule schedule = NoiseSchedule.from(LINEAR);
        float[] xT = floats(REFERENCE.get("xT"));
        float[] x = {xT[0], xT[1], xT[2], 0f};
        JsonNode states = trajectory.get("states");
        assertThat(states).hasSize(calls.length);
        for (int k = 0; k < calls.length; k++) {
            x = scheduler
                    .step(output(x, calls[k], schedule, PredictionType.EPSILON), calls[k], x, stored)
                    .prevSample();
            double[] expected = doubles(states.get(k));
            for (int i = 0; i < 3; i++) {
                assertThat((double) x[i])
                        .as("%s call %d (t=%d) coordinate %d", name, k, calls[k], i)
                        .isCloseTo(expected[i], within(2e-6 * Math.max(1, Math.abs(expected[i]))));
            }
        }
    }

    /**
     * Both grids of linspace, leading and trailing, for every N in 1..T, are numpy's as diffusers' set_timesteps
     * compute them (reference.py stores sum (i + 1) t_i per N), wherever numpy's is N distinct timesteps; where
     * it is not (trailing's float arange gives N + 1 for some N, a multistep grid of T steps repeats timesteps)
     * the Java grid is still N distinct ones. Karras is the reference's transcription of the documented rule.
     */
    @Test
    void everyGridIsNumpysForEveryStepCount() {
        NoiseSchedule schedule = NoiseSchedule.from(LINEAR);
        int total = schedule.timesteps();
        JsonNode grids = REFERENCE.get("grids");
        for (TimestepSpacing spacing :
                new TimestepSpacing[] {TimestepSpacing.LINSPACE, TimestepSpacing.LEADING, TimestepSpacing.TRAILING}) {
            JsonNode ddim = grids.get("timesteps").get(spacing.name());
            JsonNode multistep = grids.get("multistepTimesteps").get(spacing.name());
            for (int n = 1; n <= total; n++) {
                int[] java = spacing.timesteps(schedule, n);
                if (spacing == TimestepSpacing.LINSPACE && n == 1) {
                    // numpy's linspace(0, T - 1, 1) is [0]: one step would start at clean data.
                    assertThat(java).containsExactly(total - 1);
                    assertThat(ddim.get(0).asLong()).isZero();
                } else {
                    assertGrid(java, ddim.get(n - 1), "%s timesteps, N = %d", spacing, n);
                }
                assertGrid(
                        spacing.multistepTimesteps(schedule, n),
                        multistep.get(n - 1),
                        "%s multistepTimesteps, N = %d",
                        spacing,
                        n);
            }
        }
        for (int n = 1; n <= total; n++) {
            assertGrid(
                    TimestepSpacing.KARRAS.timesteps(schedule, n),
                    grids.get("karras").get(n - 1),
                    "karras, N = %d",
                    n);
            assertThat(TimestepSpacing.KARRAS.multistepTimesteps(schedule, n))
                    .containsExactly(TimestepSpacing.KARRAS.timesteps(schedule, n));
        }
    }

    private static void assertGrid(int[] grid, JsonNode numpyChecksum, String description, Object... args) {
        for (int i = 1; i < grid.length; i++) {
            assertThat(grid[i])
                    .as(description + ": descending and distinct", args)
                    .isLessThan(grid[i - 1]);
        }
        assertThat(grid[grid.length - 1]).as(description, args).isGreaterThanOrEqualTo(0);
        assertThat(grid[0]).as(description, args).isLessThan(1000);
        if (!numpyChecksum.isNull()) {
            long checksum = 0;
            for (int i = 0; i < grid.length; i++) {
                checksum += (long) (i + 1) * grid[i];
            }
            assertThat(checksum)
                    .as(description + ": numpy's, %s", concat(args, Arrays.toString(grid)))
                    .isEqualTo(numpyChecksum.asLong());
        }
    }

    private static Object[] concat(Object[] args, Object last) {
        Object[] out = Arrays.copyOf(args, args.length + 1);
        out[args.length] = last;
        return out;
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
        // round(linspace(0, 999, 11)) without its 0, half to even: 499.5 is 500, 99.9 is 100.
        assertThat(TimestepSpacing.LINSPACE.multistepTimesteps(schedule, 10))
                .containsExactly(999, 899, 799, 699, 599, 500, 400, 300, 200, 100);
        assertThat(TimestepSpacing.LEADING.multistepTimesteps(schedule, 10))
                .containsExactly(900, 810, 720, 630, 540, 450, 360, 270, 180, 90);
        int[] karras = TimestepSpacing.KARRAS.timesteps(schedule, 10);
        assertThat(karras[0]).isEqualTo(999);
        assertThat(karras[9]).isEqualTo(0);
        // Dense near the data: the last interval is far shorter than the first.
        assertThat(karras[8] - karras[9]).isLessThan((karras[0] - karras[1]) / 2);
        assertThatThrownBy(() -> TimestepSpacing.parse("uniform")).hasMessageContaining("linspace, leading");
        assertThatThrownBy(() -> TimestepSpacing.LINSPACE.multistepTimesteps(schedule, 1001))
                .hasMessageContaining("steps must be in 1..1000");
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
        assertThatThrownBy(() -> dpm.step(new float[1], 888, new float[1], NO_NOISE))
                .hasMessageContaining("timestep 888 is not this scheduler's next one (999");
    }

    private static JsonNode reference() {
        try (InputStream in = OdeSolverTest.class.getResourceAsStream("/solvers/reference.json")) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
