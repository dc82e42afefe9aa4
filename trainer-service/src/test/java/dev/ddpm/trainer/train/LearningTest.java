package dev.ddpm.trainer.train;

import ai.djl.Device;
import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.trainer.data.SyntheticPatterns;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End-to-end learning on a data set with known modes: after a few hundred steps the tiny model's
 * samples sit on the training patterns in about their proportions. The same check run on the
 * untrained model fails, so the test measures learning, not plumbing.
 */
class LearningTest {

    private static final int STEPS = Integer.getInteger("steps", 800);
    private static final SyntheticPatterns DATA = TinyRun.DATA;

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    @Test
    void trainedModelSamplesEveryModeInProportion() {
        try (DiffusionTrainer trainer = new DiffusionTrainer(TinyRun.settings(), Device.cpu())) {
            long start = System.nanoTime();
            float first = trainer.trainStep(DATA);
            float last = 0;
            for (int i = 1; i < STEPS; i++) {
                last = trainer.trainStep(DATA);
            }
            System.out.printf(
                    "tiny: %d params, %d steps in %.1f s, loss %.3f -> %.3f%n",
                    trainer.network().unet().parameterCount(), STEPS, (System.nanoTime() - start) / 1e9, first, last);
            ModeReport report = trainer.network().withEmaWeights(() -> ModeReport.of(DATA, sample(trainer)));
            System.out.println("trained: " + report);
            assertThat(report.onPatternShare()).isGreaterThanOrEqualTo(0.7);
            assertThat(report.shares()[0]).isBetween(0.25, 0.55);
            assertThat(report.shares()[1]).isBetween(0.15, 0.45);
            assertThat(report.shares()[2]).isBetween(0.07, 0.35);
            assertThat(report.shares()[3]).isBetween(0.02, 0.22);
        }
    }

    @Test
    void untrainedModelFailsTheSameCheck() {
        try (DiffusionTrainer trainer = new DiffusionTrainer(TinyRun.settings(), Device.cpu())) {
            ModeReport report = ModeReport.of(DATA, sample(trainer));
            System.out.println("untrained: " + report);
            assertThat(report.onPatternShare()).isLessThan(0.1);
        }
    }

    private static float[][] sample(DiffusionTrainer trainer) {
        return ReverseProcess.sample(
                trainer.network().denoiser(),
                () -> Schedulers.create(
                        DiffusionConfig.ho2020(),
                        SchedulerSettings.of(SamplerKind.DDIM).withSteps(50)),
                100,
                8 * 8,
                1234,
                0);
    }

    record ModeReport(double onPatternShare, double[] shares) {

        /** A sample is "on a pattern" when its RMS distance to the nearest one is below 0.25 (of a 2.0 range). */
        static ModeReport of(SyntheticPatterns data, float[][] samples) {
            int on = 0;
            double[] counts = new double[data.patterns().size()];
            for (float[] sample : samples) {
                SyntheticPatterns.Match match = data.nearest(sample);
                if (match.rms() < 0.25) {
                    on++;
                    counts[match.mode()]++;
                }
            }
            for (int i = 0; i < counts.length; i++) {
                counts[i] = on == 0 ? 0 : counts[i] / on;
            }
            return new ModeReport((double) on / samples.length, counts);
        }

        @Override
        public String toString() {
            return String.format("on-pattern %.2f, mode shares %s", onPatternShare, Arrays.toString(shares));
        }
    }
}
