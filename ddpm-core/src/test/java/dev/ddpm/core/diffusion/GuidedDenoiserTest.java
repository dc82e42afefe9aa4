package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.PredictionType;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Autoguidance checked on data whose denoisers are known in closed form: two equally likely points
 * at -1 and +1, learnt imperfectly. A "model" that has learnt them blurred by 0.15 and a weaker
 * "guide" that has learnt them blurred by 0.4 stand in for a trained network and an earlier
 * checkpoint of it (Karras et al. 2024 use the same picture: the weaker model's errors are a
 * larger version of the better one's).
 */
class GuidedDenoiserTest {

    private static final DiffusionConfig COSINE_V = DiffusionConfig.builder()
            .timesteps(1000)
            .schedule(BetaSchedule.COSINE)
            .predictionType(PredictionType.V)
            .build();
    private final NoiseSchedule schedule = NoiseSchedule.from(COSINE_V);
    private final ForwardProcess forward = new ForwardProcess(schedule);

    @Test
    void guidanceTightensSamplesAroundTheDataAndKeepsBothModes() {
        Denoiser model = blurredTwoPoints(0.15);
        Denoiser guide = blurredTwoPoints(0.4);
        Spread alone = spread(model);
        Spread guided = spread(new GuidedDenoiser(model, guide, 2));
        // Alone, samples spread like the model's blur (mean |x - nearest point| = 0.8 x 0.15).
        assertThat(alone.meanDistance()).isCloseTo(0.8 * 0.15, within(0.03));
        // Guided, they sit markedly closer to the data; pushing towards the guide (a sign error,
        // or w below 1) would spread them out instead.
        assertThat(guided.meanDistance()).isLessThan(0.7 * alone.meanDistance());
        assertThat(guided.shareAbove()).isCloseTo(0.5, within(0.08));
        assertThat(alone.shareAbove()).isCloseTo(0.5, within(0.08));
    }

    @Test
    void theWeakerModelAloneSpreadsWiderThanTheModel() {
        // The premise of the test above: the guide is the worse of the two.
        assertThat(spread(blurredTwoPoints(0.4)).meanDistance())
                .isGreaterThan(2 * spread(blurredTwoPoints(0.15)).meanDistance());
    }

    @Test
    void extrapolatingVGivesTheSameX0AsExtrapolatingX0() {
        // Why the schedulers need no change: the guided v's x_0 estimate is the x_0 estimates' extrapolation.
        float[] xt = {0.3f, -1.2f, 0.7f};
        float[] vModel = {0.5f, -0.1f, 0.9f};
        float[] vGuide = {0.2f, 0.4f, 1.1f};
        int t = 700;
        float[] guidedV = new GuidedDenoiser((x, ts) -> new float[][] {vModel}, (x, ts) -> new float[][] {vGuide}, 2.5)
                .predict(new float[][] {xt}, new int[] {t})[0];
        float[] x0Model = forward.predictX0(vModel, xt, t, PredictionType.V);
        float[] x0Guide = forward.predictX0(vGuide, xt, t, PredictionType.V);
        float[] x0Guided = forward.predictX0(guidedV, xt, t, PredictionType.V);
        for (int i = 0; i < xt.length; i++) {
            assertThat(x0Guided[i]).isCloseTo(x0Guide[i] + 2.5f * (x0Model[i] - x0Guide[i]), within(1e-5f));
        }
    }

    @Test
    void weightOneIsTheModelAloneAndNeverCallsTheGuide() {
        AtomicInteger guideCalls = new AtomicInteger();
        float[][] out = new GuidedDenoiser(
                        (x, t) -> new float[][] {{1, 2}},
                        (x, t) -> {
                            guideCalls.incrementAndGet();
                            return new float[][] {{9, 9}};
                        },
                        1)
                .predict(new float[][] {{0, 0}}, new int[] {5});
        assertThat(out[0]).containsExactly(1, 2);
        assertThat(guideCalls).hasValue(0);
    }

    @Test
    void theWeightIsAnExtrapolationFromTheGuidePastTheModel() {
        float[][] out = new GuidedDenoiser((x, t) -> new float[][] {{1, -2}}, (x, t) -> new float[][] {{0.5f, 1}}, 3)
                .predict(new float[][] {{0, 0}}, new int[] {5});
        assertThat(out[0]).containsExactly(2f, -8f); // 0.5 + 3 (1 - 0.5), 1 + 3 (-2 - 1)
    }

    @Test
    void aWeightBelowOneOrNotANumberIsRefused() {
        Denoiser any = (x, t) -> x;
        for (double weight : new double[] {0.5, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> new GuidedDenoiser(any, any, weight))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(">= 1");
        }
    }

    @Test
    void aGuideThatMakesOtherImagesIsRefused() {
        GuidedDenoiser mismatched =
                new GuidedDenoiser((x, t) -> new float[][] {{1, 2}}, (x, t) -> new float[][] {{1, 2, 3}}, 2);
        assertThatThrownBy(() -> mismatched.predict(new float[][] {{0, 0}}, new int[] {1}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the guide's prediction has 3 values, the model's 2");
    }

    private record Spread(double meanDistance, double shareAbove) {}

    /** 2,000 one-pixel samples with DDPM-100: their mean distance to the nearer point, and the share near +1. */
    private Spread spread(Denoiser denoiser) {
        float[][] samples = ReverseProcess.sample(
                denoiser,
                () -> Schedulers.create(
                        COSINE_V,
                        SchedulerSettings.of(SamplerKind.DDPM).withSteps(100).withClipX0(false)),
                2000,
                1,
                7,
                0);
        double distance = 0;
        int above = 0;
        for (float[] sample : samples) {
            distance += Math.abs(Math.abs(sample[0]) - 1);
            above += sample[0] > 0 ? 1 : 0;
        }
        return new Spread(distance / samples.length, (double) above / samples.length);
    }

    /**
     * The exact v-prediction of data N(-1, s^2) and N(+1, s^2) half and half: per component,
     * x_t ~ N(sqrt(abar) mu, abar s^2 + 1 - abar) and E[x_0 | x_t] = mu + sqrt(abar) s^2 (x_t - sqrt(abar) mu) / var.
     */
    private Denoiser blurredTwoPoints(double s) {
        return (x, t) -> {
            float[][] out = new float[x.length][];
            for (int i = 0; i < x.length; i++) {
                double abar = schedule.alphaBar(t[i]);
                double variance = abar * s * s + 1 - abar;
                double xt = x[i][0];
                // Posterior weight of +1 (a logistic of the log-likelihood ratio, safe from underflow).
                double logRatio =
                        (Math.pow(xt + Math.sqrt(abar), 2) - Math.pow(xt - Math.sqrt(abar), 2)) / (2 * variance);
                double pPlus = 1 / (1 + Math.exp(-logRatio));
                double x0Plus = 1 + Math.sqrt(abar) * s * s * (xt - Math.sqrt(abar)) / variance;
                double x0Minus = -1 + Math.sqrt(abar) * s * s * (xt + Math.sqrt(abar)) / variance;
                float[] x0 = {(float) (pPlus * x0Plus + (1 - pPlus) * x0Minus)};
                float[] eps = forward.epsFromX0(x0, x[i], t[i]);
                out[i] = forward.target(x0, eps, t[i], PredictionType.V);
            }
            return out;
        };
    }
}
