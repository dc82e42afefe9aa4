package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.PredictionType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The reverse process, checked against analytic answers: with the exact (Bayes-optimal) denoiser of
 * a known data distribution, sampling must reproduce that distribution. A wrong coefficient anywhere
 * in a step makes the samples miss the data points or the proportions.
 */
class SchedulerTest {

    private static final DiffusionConfig LINEAR = DiffusionConfig.ho2020();
    private final NoiseSchedule schedule = NoiseSchedule.from(LINEAR);

    @Test
    void timestepsAreEvenlySpacedFromTheLastToTheFirst() {
        TimestepSpacing linspace = TimestepSpacing.LINSPACE;
        assertThat(linspace.timesteps(schedule, 5)).containsExactly(999, 749, 500, 250, 0);
        assertThat(linspace.timesteps(schedule, 1000)[0]).isEqualTo(999);
        assertThat(linspace.timesteps(schedule, 1000)[999]).isEqualTo(0);
        assertThat(linspace.timesteps(NoiseSchedule.linear(10, 1e-4, 0.02), 1)).containsExactly(9);
        assertThatThrownBy(() -> linspace.timesteps(schedule, 1001)).hasMessageContaining("1..1000");
    }

    @Test
    void aTimestepOutsideTheSequenceIsRefused() {
        Scheduler ddim = new DdimScheduler(schedule, PredictionType.EPSILON, 0, Thresholding.NONE);
        ddim.setTimesteps(10);
        assertThatThrownBy(() -> ddim.step(new float[1], 998, new float[1], SeededNoise.forSample(0, 0)))
                .hasMessageContaining("timestep 998 is not in this scheduler's sequence");
    }

    @Test
    void ddimWithEtaOneOverAllStepsIsTheDdpmFixedSmallStep() {
        Scheduler ddpm =
                new DdpmScheduler(schedule, PredictionType.EPSILON, DdpmVariance.FIXED_SMALL, Thresholding.NONE);
        Scheduler ddim = new DdimScheduler(schedule, PredictionType.EPSILON, 1.0, Thresholding.NONE);
        float[] x = SeededNoise.forSample(1, 0).draw(SeededNoise.INITIAL, 48);
        float[] out = SeededNoise.forSample(2, 0).draw(0, 48);
        GaussianNoise noise = SeededNoise.forSample(3, 0);
        for (int t : new int[] {999, 640, 100, 1}) {
            StepResult a = ddpm.step(out, t, x, noise);
            StepResult b = ddim.step(out, t, x, noise);
            for (int i = 0; i < x.length; i++) {
                assertThat(b.prevSample()[i]).isCloseTo(a.prevSample()[i], within(2e-5f));
                assertThat(b.predictedX0()[i]).isEqualTo(a.predictedX0()[i]);
            }
        }
    }

    @Test
    void ddimWithEtaZeroIsDeterministic() {
        Scheduler ddim = new DdimScheduler(schedule, PredictionType.EPSILON, 0, Thresholding.NONE);
        ddim.setTimesteps(20);
        float[] x = {0.1f, -0.4f};
        float[] out = {0.3f, 0.2f};
        StepResult a = ddim.step(out, 999, x, SeededNoise.forSample(1, 0));
        StepResult b = ddim.step(out, 999, x, SeededNoise.forSample(2, 0));
        assertThat(a.prevSample()).containsExactly(b.prevSample());
    }

    @Test
    void clippingKeepsPredictedX0InRange() {
        Scheduler ddpm =
                new DdpmScheduler(schedule, PredictionType.EPSILON, DdpmVariance.FIXED_SMALL, Thresholding.CLIP);
        StepResult step = ddpm.step(new float[] {-5f, 5f}, 999, new float[] {3f, -3f}, SeededNoise.forSample(0, 0));
        for (float v : step.predictedX0()) {
            assertThat(v).isBetween(-1f, 1f);
        }
    }

    @ParameterizedTest(name = "{0} {1} steps, {2}, {3}")
    @CsvSource({
        "DDPM, 1000, EPSILON, linear",
        "DDPM, 100, EPSILON, linear",
        "DDPM, 1000, V, cosine",
        "DDIM, 50, EPSILON, linear",
        "DDIM, 25, V, cosine",
        "DPM_SOLVER_PP, 20, EPSILON, linear",
        "DPM_SOLVER_PP, 15, V, cosine",
        "UNIPC, 20, EPSILON, linear",
        "EULER, 30, V, cosine",
        "HEUN, 10, EPSILON, linear",
    })
    void exactDenoiserOfTwoPointsSamplesBothPointsInProportion(
            SamplerKind kind, int steps, PredictionType type, String scheduleName) {
        DiffusionConfig config = DiffusionConfig.builder()
                .timesteps(1000)
                .schedule("cosine".equals(scheduleName) ? BetaSchedule.COSINE : BetaSchedule.LINEAR)
                .predictionType(type)
                .build();
        NoiseSchedule s = NoiseSchedule.from(config);
        ForwardProcess forward = new ForwardProcess(s);
        TwoPointData data =
                new TwoPointData(new float[] {0.8f, -0.6f, 0.2f, 0.5f}, new float[] {-0.7f, 0.4f, -0.3f, -0.5f}, 0.3);
        int samples = 300;
        int nearA = 0;
        for (int n = 0; n < samples; n++) {
            Scheduler scheduler = Schedulers.create(
                    config,
                    SchedulerSettings.of(kind).withSteps(steps).withEta(1.0).withClipX0(false));
            GaussianNoise noise = SeededNoise.forSample(2024, n);
            float[] x = noise.draw(SeededNoise.INITIAL, 4);
            for (int t : scheduler.timesteps()) {
                float[] x0 = data.posteriorMean(x, s.alphaBar(t));
                float[] eps = forward.epsFromX0(x0, x, t);
                float[] output = type == PredictionType.EPSILON ? eps : forward.target(x0, eps, t, type);
                x = scheduler.step(output, t, x, noise).prevSample();
            }
            double da = distance(x, data.a);
            double db = distance(x, data.b);
            assertThat(Math.min(da, db))
                    .as("sample %d lands on a data point", n)
                    .isLessThan(0.02);
            if (da < db) {
                nearA++;
            }
        }
        // 30% of the data is at a: the share of samples there must match (3 sigma of a binomial).
        assertThat((double) nearA / samples).isCloseTo(0.3, within(0.08));
    }

    @Test
    void aWrongDenoiserDoesNotPassTheTwoPointCheck() {
        // The same check with an untrained "model" (predicting zero noise) lands nowhere near the data.
        Scheduler scheduler = Schedulers.create(
                LINEAR, SchedulerSettings.of(SamplerKind.DDIM).withSteps(50).withClipX0(false));
        GaussianNoise noise = SeededNoise.forSample(1, 0);
        float[] x = noise.draw(SeededNoise.INITIAL, 4);
        for (int t : scheduler.timesteps()) {
            x = scheduler.step(new float[4], t, x, noise).prevSample();
        }
        assertThat(Math.min(
                        distance(x, new float[] {0.8f, -0.6f, 0.2f, 0.5f}),
                        distance(x, new float[] {-0.7f, 0.4f, -0.3f, -0.5f})))
                .isGreaterThan(0.1);
    }

    private static double distance(float[] x, float[] y) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += (x[i] - y[i]) * (x[i] - y[i]);
        }
        return Math.sqrt(sum);
    }

    /** Data that is point a with probability pA, else point b; E[x0 | x_t] in closed form. */
    private record TwoPointData(float[] a, float[] b, double pA) {

        float[] posteriorMean(float[] xt, double alphaBar) {
            double logA = Math.log(pA) - squaredDistance(xt, a, alphaBar) / (2 * (1 - alphaBar));
            double logB = Math.log(1 - pA) - squaredDistance(xt, b, alphaBar) / (2 * (1 - alphaBar));
            double max = Math.max(logA, logB);
            double wA = Math.exp(logA - max);
            double wB = Math.exp(logB - max);
            double weightA = wA / (wA + wB);
            float[] mean = new float[xt.length];
            for (int i = 0; i < xt.length; i++) {
                mean[i] = (float) (weightA * a[i] + (1 - weightA) * b[i]);
            }
            return mean;
        }

        private static double squaredDistance(float[] xt, float[] point, double alphaBar) {
            double sum = 0;
            double scale = Math.sqrt(alphaBar);
            for (int i = 0; i < xt.length; i++) {
                double d = xt[i] - scale * point[i];
                sum += d * d;
            }
            return sum;
        }
    }
}
