package dev.ddpm.trainer.eval;

import ai.djl.Device;
import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.trainer.data.DatasetReader;
import dev.ddpm.trainer.data.InMemoryImageSet;
import dev.ddpm.trainer.data.Labels;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TrainingSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The colour quality metric on the real emoji set (scripts/test.sh fetches it from npm): the
 * classifier trained on the emoji categories scores unseen real emoji at the real-vs-real floor
 * and at the real recognisable share, while pure noise and an untrained model's samples score far
 * worse. The memorisation check tells copies of training images from new images.
 */
class EmojiQualityTest {

    private static final int PER_SET = 200;
    private static InMemoryImageSet emoji;
    private static FeatureClassifier classifier;
    private static float[][] real;
    private static float[][] reference;
    private static float[][] unseen;

    @BeforeAll
    static void trainClassifier() {
        String dir = System.getenv("EMOJI_DIR");
        if (dir == null || !Files.isDirectory(Path.of(dir))) {
            throw new IllegalStateException(
                    "EMOJI_DIR is not set: run through scripts/test.sh, or scripts/fetch-emoji.sh"
                            + " and export EMOJI_DIR=.run/data/emoji");
        }
        DjlEngine.configureOffline(0);
        emoji = new DatasetReader(3, 32).read(Path.of(dir));
        Labels labels = emoji.labels().orElseThrow();
        // Three disjoint real sets of 200 held out from the classifier; it trains on the rest.
        int[] order = new SplittableRandom(11)
                .ints(0, Integer.MAX_VALUE)
                .limit(emoji.size())
                .toArray();
        Integer[] index = new Integer[emoji.size()];
        for (int i = 0; i < index.length; i++) {
            index[i] = i;
        }
        Arrays.sort(index, (a, b) -> Integer.compare(order[a], order[b]));
        real = images(index, 0);
        reference = images(index, PER_SET);
        unseen = images(index, 2 * PER_SET);
        List<float[]> train = new ArrayList<>();
        int[] trainLabels = new int[emoji.size() - 3 * PER_SET];
        for (int i = 3 * PER_SET; i < index.length; i++) {
            train.add(emoji.image(index[i]));
            trainLabels[i - 3 * PER_SET] = labels.ofImage()[index[i]];
        }
        // With the reject class the quality probe gives it: noise must not be called an emoji.
        classifier = new FeatureClassifier(Device.cpu(), 3, 32, labels.count() + 1, 1);
        long start = System.nanoTime();
        classifier.train(new InMemoryImageSet(3, 32, train, List.of()), trainLabels, 20, 64, 1, true, labels.count());
        System.out.printf(
                "emoji classifier: %d classes, 20 epochs on %d images in %.1f s%n",
                labels.count(), train.size(), (System.nanoTime() - start) / 1e9);
    }

    @AfterAll
    static void close() {
        if (classifier != null) {
            classifier.close();
        }
    }

    @Test
    void unseenRealEmojiScoreAtTheFloorWhileNoiseAndAnUntrainedModelScoreFarWorse() {
        List<String> classes = emoji.labels().orElseThrow().classes();
        QualityReport realReport = QualityReport.of(classifier, unseen, real, reference, classes, null);
        System.out.println("unseen real emoji: " + realReport);
        assertThat(realReport.fld()).isLessThan(2 * realReport.floor() + 1);
        assertThat(realReport.recognisableShare())
                .isBetween(realReport.realShare() - 0.1, realReport.realShare() + 0.1);
        assertThat(realReport.realShare())
                .as("the classifier must call a fair share of real emoji")
                .isGreaterThan(0.2);

        SplittableRandom random = new SplittableRandom(3);
        float[][] noise = new float[PER_SET][3 * 32 * 32];
        for (float[] image : noise) {
            for (int i = 0; i < image.length; i++) {
                image[i] = (float) (random.nextDouble() * 2 - 1);
            }
        }
        QualityReport noiseReport = QualityReport.of(classifier, noise, real, reference, classes, null);
        System.out.println("uniform noise: " + noiseReport);
        assertThat(noiseReport.fld()).isGreaterThan(10 * realReport.fld());
        assertThat(noiseReport.recognisableShare()).isLessThan(realReport.recognisableShare() / 4);

        TrainingSettings settings = TrainingSettings.builder()
                .architecture(UNetPresets.byName("colour-32"))
                .batchSize(1)
                .learningRate(1e-4f)
                .warmupSteps(0)
                .emaDecay(0.999f)
                .horizontalFlip(true)
                .seed(3)
                .build();
        try (DiffusionTrainer untrained = new DiffusionTrainer(settings, Device.cpu())) {
            float[][] samples = ReverseProcess.sample(
                    untrained.network().denoiser(),
                    () -> Schedulers.create(
                            settings.diffusion(),
                            SchedulerSettings.of(SamplerKind.DDIM).withSteps(10)),
                    PER_SET,
                    3 * 32 * 32,
                    5,
                    0);
            QualityReport untrainedReport = QualityReport.of(classifier, samples, real, reference, classes, null);
            System.out.println("untrained colour-32: " + untrainedReport);
            assertThat(untrainedReport.fld()).isGreaterThan(10 * realReport.fld());
            assertThat(untrainedReport.recognisableShare()).isLessThan(realReport.recognisableShare() / 4);
        }
    }

    @Test
    void copiesOfTrainingImagesAreCaughtByTheMemorisationCheck() {
        float[][] training = new float[emoji.size()][];
        for (int i = 0; i < training.length; i++) {
            training[i] = emoji.image(i);
        }
        int[] realIndices = IntStream.range(0, 100).map(i -> i * 7).toArray();
        float[][] copies = new float[100][];
        for (int i = 0; i < copies.length; i++) {
            copies[i] = training[i * 11].clone();
        }
        Memorisation copied = Memorisation.of(copies, training, realIndices);
        System.out.println("copies: " + copied);
        assertThat(copied.medianNearest()).isZero();
        assertThat(copied.realMedianNearest())
                .as("emoji differ from their nearest neighbour")
                .isGreaterThan(0.05);

        // Real emoji mirrored: new images of the same kind, about as far from the set as its own images are.
        float[][] mirrored = new float[100][];
        for (int i = 0; i < mirrored.length; i++) {
            mirrored[i] = FeatureClassifier.mirrored(training[i * 13 + 1], 32);
        }
        Memorisation fresh = Memorisation.of(mirrored, training, realIndices);
        System.out.println("mirrored emoji: " + fresh);
        assertThat(fresh.ratio()).isGreaterThan(0.5);
    }

    private static float[][] images(Integer[] index, int from) {
        float[][] out = new float[PER_SET][];
        for (int i = 0; i < PER_SET; i++) {
            out[i] = emoji.image(index[from + i]);
        }
        return out;
    }
}
