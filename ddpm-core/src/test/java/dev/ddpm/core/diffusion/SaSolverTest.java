package dev.ddpm.core.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.PredictionType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import static dev.ddpm.core.diffusion.GaussianData.MU;
import static dev.ddpm.core.diffusion.GaussianData.S;
import static dev.ddpm.core.diffusion.JsonArrays.doubles;
import static dev.ddpm.core.diffusion.JsonArrays.floats;
import static dev.ddpm.core.diffusion.JsonArrays.ints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

/**
 * SA-Solver on Gaussian data N(mu, s^2) per coordinate, whose exact denoiser and probability-flow solution
 * are known in closed form: against a numpy transcription of diffusers' SASolverScheduler given the same
 * noise, against the exact ODE solution when tau = 0, and through the sampler's seeded noise.
 */
class SaSolverTest {

    private static final DiffusionConfig LINEAR = DiffusionConfig.ho2020();
    private static final NoiseSchedule SCHEDULE = NoiseSchedule.from(LINEAR);
    private static final float[] START = {1.2f, -0.7f, 0.4f, -1.5f};
    /** A noise source for steps that must draw none. */
    private static final GaussianNoise NO_DRAWS = (t, n) -> fail("drew noise for timestep " + t);

    /** What an exact network of the given type outputs at (x_t, t). */
    private static float[] output(float[] x, int t, PredictionType type) {
        return GaussianData.output(x, SCHEDULE.level(t), type);
    }

    /** The probability-flow ODE's exact solution from x at timestep {@code from} to timestep {@code to}. */
    private static double[] exactFlow(float[] x, int from, int to) {
        return GaussianData.exactFlow(x, SCHEDULE.level(from), SCHEDULE.level(to));
    }

    private static SaSolverScheduler ode(int order) {
        return new SaSolverScheduler(
                SCHEDULE, PredictionType.EPSILON, order, Thresholding.NONE, TimestepSpacing.LINSPACE, t -> 0.0);
    }

    /** Runs every call of the scheduler on the exact denoiser; returns the sample after each call. */
    private static List<float[]> trajectory(Scheduler scheduler, PredictionType type, GaussianNoise noise) {
        List<float[]> samples = new ArrayList<>();
        float[] x = START.clone();
        for (int t : scheduler.timesteps()) {
            x = scheduler.step(output(x, t, type), t, x, noise).prevSample();
            samples.add(x);
        }
        return samples;
    }

    /** Trajectories of diffusers' formulas in numpy (src/test/resources/solvers/sasolver_reference.py). */
    @ParameterizedTest(name = "{0}, order {1}, {2} steps")
    @CsvSource({
        "EPSILON, 1, 10",
        "EPSILON, 2, 10",
        "EPSILON, 3, 10",
        "EPSILON, 1, 20",
        "EPSILON, 2, 20",
        "EPSILON, 3, 20",
        "V, 2, 10",
        "V, 3, 10",
        "V, 2, 20",
        "V, 3, 20",
    })
    void everyStepMatchesDiffusersTranscribedToNumpyGivenTheSameNoise(PredictionType type, int order, int steps)
            throws IOException {
        JsonNode reference;
        try (InputStream in = getClass().getResourceAsStream("/solvers/sasolver_reference.json")) {
            reference = new ObjectMapper().readTree(in);
        }
        assertThat(doubles(reference.get("mu"))).containsExactly(MU);
        assertThat(doubles(reference.get("s"))).containsExactly(S);
        assertThat(floats(reference.get("xT"))).containsExactly(START);
        DiffusionConfig config = DiffusionConfig.builder()
                .timesteps(1000)
                .betaStart(1e-4)
                .betaEnd(0.02)
                .predictionType(type)
                .build();
        Scheduler scheduler = Schedulers.create(
                config,
                SchedulerSettings.of(SamplerKind.SA_SOLVER)
                        .withSteps(steps)
                        .withClipX0(false)
                        .withOrder(order)
                        .withSpacing(TimestepSpacing.LINSPACE));
        assertThat(scheduler).isInstanceOf(SaSolverScheduler.class);
        int[] timesteps = scheduler.timesteps();
        assertThat(timesteps).containsExactly(ints(reference.get("grids").get(Integer.toString(steps))));

        JsonNode noise = reference.get("noise");
        List<Integer> drawn = new ArrayList<>();
        GaussianNoise stored = (t, n) -> {
            drawn.add(t);
            JsonNode z = noise.get(Integer.toString(t));
            assertThat(z).as("stored noise for timestep %d", t).isNotNull();
            float[] out = floats(z);
            assertThat(out).hasSize(n);
            return out;
        };
        String name = (type == PredictionType.EPSILON ? "epsilon" : "v_prediction") + "-" + order + "-" + steps;
        JsonNode expected = reference.get("trajectories").get(name);
        List<float[]> actual = trajectory(scheduler, type, stored);
        assertThat(actual).hasSize(expected.size());
        for (int k = 0; k < actual.size(); k++) {
            float[] want = floats(expected.get(k));
            for (int i = 0; i < want.length; i++) {
                double tolerance = 1e-5 * Math.max(1.0, Math.abs(want[i]));
                assertThat((double) actual.get(k)[i])
                        .as("%s, sample after the call at t=%d (call %d), coordinate %d", name, timesteps[k], k, i)
                        .isCloseTo(want[i], within(tolerance));
            }
        }
        // One draw per stochastic step, keyed by its timestep; none where tau = 0 nor for the step to clean data.
        int[] stochastic = Arrays.stream(timesteps, 0, steps - 1)
                .filter(t -> SaSolverScheduler.defaultTau(t, 1000) > 0)
                .toArray();
        assertThat(drawn)
                .containsExactlyElementsOf(Arrays.stream(stochastic).boxed().toList());
    }

    @Test
    void theDefaultTauIsOneFrom200To800Inclusive() {
        assertThat(SaSolverScheduler.defaultTau(199, 1000)).isZero();
        assertThat(SaSolverScheduler.defaultTau(200, 1000)).isEqualTo(1.0);
        assertThat(SaSolverScheduler.defaultTau(800, 1000)).isEqualTo(1.0);
        assertThat(SaSolverScheduler.defaultTau(801, 1000)).isZero();
        // A model of T = 500 keeps the share of its timesteps: 100..400.
        assertThat(SaSolverScheduler.defaultTau(99, 500)).isZero();
        assertThat(SaSolverScheduler.defaultTau(100, 500)).isEqualTo(1.0);
        assertThat(SaSolverScheduler.defaultTau(400, 500)).isEqualTo(1.0);
        assertThat(SaSolverScheduler.defaultTau(401, 500)).isZero();
    }

    @ParameterizedTest(name = "order {0}: error {1} at 320 steps, observed order >= {2}")
    @CsvSource({"1, 1e-2, 0.8", "2, 1e-3, 1.8", "3, 1e-3, 1.8"})
    void withTauZeroItApproachesTheExactProbabilityFlowAsStepsDouble(
            int order, double finalError, double minimumOrder) {
        int[] steps = {20, 40, 80, 160, 320};
        double[] errors = new double[steps.length];
        for (int k = 0; k < steps.length; k++) {
            SaSolverScheduler scheduler = ode(order);
            int[] timesteps = scheduler.setTimesteps(steps[k]);
            // Every call but the last (which jumps to clean data), measured at the last grid point; the ODE draws
            // no noise.
            float[] x = START.clone();
            for (int c = 0; c < timesteps.length - 1; c++) {
                x = scheduler
                        .step(output(x, timesteps[c], PredictionType.EPSILON), timesteps[c], x, NO_DRAWS)
                        .prevSample();
            }
            double[] truth = exactFlow(START, timesteps[0], timesteps[timesteps.length - 1]);
            for (int i = 0; i < x.length; i++) {
                errors[k] = Math.max(errors[k], Math.abs(x[i] - truth[i]));
            }
        }
        // Measured (max over coordinates): order 1 3.6e-2 ... 7.8e-3, order 2 5.1e-2 ... 2.9e-4 (the last
        // doubling 2.3), order 3 2.8e-2 ... 1.5e-4 (2.2).
        int last = steps.length - 1;
        for (int k = 2; k <= last; k++) {
            assertThat(errors[k]).as("errors %s", Arrays.toString(errors)).isLessThan(errors[k - 1]);
        }
        assertThat(errors[last]).as("errors %s", Arrays.toString(errors)).isLessThan(finalError);
        double observed = Math.log(errors[last - 1] / errors[last]) / Math.log(2);
        assertThat(observed)
                .as("observed order, errors %s", Arrays.toString(errors))
                .isGreaterThanOrEqualTo(minimumOrder);
    }

    @Test
    void withTheDefaultTauTwoNoiseStreamsGiveTwoImagesFromOneStart() {
        for (int order = 1; order <= Schedulers.MAX_ORDER; order++) {
            SchedulerSettings settings = SchedulerSettings.of(SamplerKind.SA_SOLVER)
                    .withSteps(20)
                    .withClipX0(false)
                    .withOrder(order);
            float[] a = last(trajectory(Schedulers.create(LINEAR, settings), PredictionType.EPSILON, stream(1)));
            float[] b = last(trajectory(Schedulers.create(LINEAR, settings), PredictionType.EPSILON, stream(2)));
            float[] again = last(trajectory(Schedulers.create(LINEAR, settings), PredictionType.EPSILON, stream(1)));
            assertThat(again).as("order %d, one stream twice", order).containsExactly(a);
            double difference = 0;
            for (int i = 0; i < a.length; i++) {
                difference = Math.max(difference, Math.abs(a[i] - b[i]));
            }
            assertThat(difference).as("order %d, two streams", order).isGreaterThan(0.05);
        }
    }

    @Test
    void withTauOneThroughoutTheSamplesHaveTheDatasMeanAndSpread() {
        // The reverse SDE from independent x_T ~ N(0, 1): each coordinate of x_0 should be N(mu, s^2).
        int images = 4000;
        double[] sum = new double[MU.length];
        double[] sumSquares = new double[MU.length];
        for (int n = 0; n < images; n++) {
            SaSolverScheduler scheduler = new SaSolverScheduler(
                    SCHEDULE, PredictionType.EPSILON, 2, Thresholding.NONE, TimestepSpacing.LINSPACE, t -> 1.0);
            SeededNoise noise = SeededNoise.forSample(7, n);
            float[] x = noise.draw(SeededNoise.INITIAL, MU.length);
            for (int t : scheduler.setTimesteps(200)) {
                x = scheduler
                        .step(output(x, t, PredictionType.EPSILON), t, x, noise)
                        .prevSample();
            }
            for (int i = 0; i < x.length; i++) {
                sum[i] += x[i];
                sumSquares[i] += x[i] * x[i];
            }
        }
        for (int i = 0; i < MU.length; i++) {
            double mean = sum[i] / images;
            double sd = Math.sqrt(sumSquares[i] / images - mean * mean);
            // Five standard errors of the estimates. The SDE needs more steps than the ODE: diffusers' formulas (the
            // numpy reference, 20000 images) give spreads 0.401, 0.207, 0.703, 1.001 at 200 steps, but 0.454,
            // 0.216, 0.761, 1.056 at 50.
            assertThat(mean).as("mean of coordinate %d", i).isCloseTo(MU[i], within(5 * S[i] / Math.sqrt(images)));
            assertThat(sd).as("spread of coordinate %d", i).isCloseTo(S[i], within(5 * S[i] / Math.sqrt(2.0 * images)));
        }
    }

    @Test
    void anImageIsTheSameAloneAsInABatch() {
        Denoiser network = (x, t) -> {
            float[][] out = new float[x.length][];
            for (int i = 0; i < x.length; i++) {
                out[i] = new float[x[i].length];
                for (int j = 0; j < x[i].length; j++) {
                    out[i][j] = 0.3f * x[i][j] + t[i] / 2000f;
                }
            }
            return out;
        };
        for (int order = 1; order <= Schedulers.MAX_ORDER; order++) {
            SchedulerSettings settings =
                    SchedulerSettings.of(SamplerKind.SA_SOLVER).withSteps(15).withOrder(order);
            Supplier<Scheduler> schedulers = () -> Schedulers.create(LINEAR, settings);
            float[][] batch = ReverseProcess.sample(network, schedulers, 3, 12, 9, 0);
            float[][] alone = ReverseProcess.sample(network, schedulers, 1, 12, 9, 2);
            float[][] otherSeed = ReverseProcess.sample(network, schedulers, 1, 12, 10, 2);
            assertThat(alone[0]).as("order %d", order).containsExactly(batch[2]);
            assertThat(batch[1]).as("order %d", order).isNotEqualTo(batch[2]);
            assertThat(otherSeed[0]).as("order %d", order).isNotEqualTo(alone[0]);
        }
    }

    private static GaussianNoise stream(long seed) {
        return SeededNoise.forSample(seed, 0);
    }

    private static float[] last(List<float[]> trajectory) {
        return trajectory.get(trajectory.size() - 1);
    }
}
