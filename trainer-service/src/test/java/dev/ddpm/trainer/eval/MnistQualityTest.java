package dev.ddpm.trainer.eval;

import ai.djl.Device;
import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.trainer.data.DatasetReader;
import dev.ddpm.trainer.data.IdxLabels;
import dev.ddpm.trainer.data.InMemoryImageSet;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TrainingSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The MNIST quality metrics on the real data set (scripts/test.sh fetches it from npm): the
 * project's classifier reaches 98 % test accuracy, and the metrics tell real digits from an
 * untrained model's samples.
 */
class MnistQualityTest {

    private static InMemoryImageSet train;
    private static int[] trainLabels;
    private static InMemoryImageSet test;
    private static int[] testLabels;
    private static FeatureClassifier classifier;

    @BeforeAll
    static void trainClassifier() {
        String dir = System.getenv("MNIST_DIR");
        if (dir == null || !Files.isDirectory(Path.of(dir))) {
            throw new IllegalStateException(
                    "MNIST_DIR is not set: run through scripts/test.sh, or scripts/fetch-mnist.sh"
                            + " and export MNIST_DIR=.run/data/mnist");
        }
        DjlEngine.configureOffline(0);
        DatasetReader reader = new DatasetReader(1, 32);
        train = reader.read(Path.of(dir, "train-images-idx3-ubyte"));
        trainLabels = IdxLabels.read(Path.of(dir, "train-labels-idx1-ubyte"));
        test = reader.read(Path.of(dir, "t10k-images-idx3-ubyte"));
        testLabels = IdxLabels.read(Path.of(dir, "t10k-labels-idx1-ubyte"));
        classifier = FeatureClassifier.mnist(Device.cpu(), 1);
        long start = System.nanoTime();
        classifier.train(train, trainLabels, 1, 64, 1, false);
        System.out.printf("classifier: 1 epoch in %.1f s%n", (System.nanoTime() - start) / 1e9);
    }

    @AfterAll
    static void close() {
        if (classifier != null) {
            classifier.close();
        }
    }

    @Test
    void classifierReaches98PercentOnTheTestSet() {
        double accuracy = classifier.accuracy(test, testLabels);
        System.out.printf("classifier test accuracy %.4f%n", accuracy);
        assertThat(accuracy).isGreaterThanOrEqualTo(0.98);
    }

    @Test
    void aConfidentCallIsRightAtLeastAsOftenAsTheThresholdSays() {
        FeatureClassifier.Calibration calibration = classifier.calibration(test, testLabels);
        System.out.println("classifier: " + calibration);
        assertThat(calibration.accuracy()).isEqualTo(classifier.accuracy(test, testLabels));
        // Confidence >= 0.9 is what "recognisable" means: it must be a call that is right >= 90 % of the
        // time, and the calls below it must be the doubtful ones, so the confident share is the more accurate.
        assertThat(calibration.confidentAccuracy())
                .isGreaterThanOrEqualTo(QualityReport.CONFIDENT)
                .isGreaterThan(calibration.accuracy());
        assertThat(calibration.confidentShare()).isBetween(0.85, 1.0).isLessThan(1.0);
    }

    @Test
    void realDigitsScoreAtTheFloorAndAnUntrainedModelDoesNot() {
        float[][] trainSubset = first(train, 1000, 0);
        float[][] testA = first(test, 1000, 0);
        float[][] testB = first(test, 1000, 1000);

        QualityReport real = QualityReport.of(classifier, testB, testA, trainSubset);
        System.out.println("real test digits: " + real);
        assertThat(real.recognisableShare()).isGreaterThan(0.85);
        assertThat(real.realShare())
                .as("the reference (train) digits' share, the ceiling shown beside a model's")
                .isGreaterThan(0.85);
        assertThat(real.largestClassShare()).isLessThan(0.15);
        assertThat(real.fld()).isLessThan(3 * real.floor() + 1);

        TrainingSettings settings = TrainingSettings.builder()
                .architecture(UNetPresets.withImage(UNetPresets.byName("tiny"), 1, 32))
                .batchSize(1)
                .learningRate(1e-4f)
                .warmupSteps(0)
                .emaDecay(0.999f)
                .seed(3)
                .build();
        try (DiffusionTrainer untrained = new DiffusionTrainer(settings, Device.cpu())) {
            float[][] samples = ReverseProcess.sample(
                    untrained.network().denoiser(),
                    () -> Schedulers.create(
                            settings.diffusion(),
                            SchedulerSettings.of(SamplerKind.DDIM).withSteps(10)),
                    300,
                    32 * 32,
                    5,
                    0);
            QualityReport noise = QualityReport.of(classifier, samples, testA, trainSubset);
            System.out.println("untrained model: " + noise);
            assertThat(noise.fld()).isGreaterThan(10 * real.fld());
            assertThat(noise.realShare())
                    .as("the ceiling depends on the real digits only")
                    .isEqualTo(real.realShare());
            // The recipe's target (>= 90 % recognisable, no class above 15 %) is not met by noise.
            assertThat(noise.recognisableShare() >= 0.9 && noise.largestClassShare() <= 0.15)
                    .isFalse();
        }
    }

    private static float[][] first(InMemoryImageSet set, int count, int from) {
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            out[i] = set.image(from + i);
        }
        return out;
    }
}
