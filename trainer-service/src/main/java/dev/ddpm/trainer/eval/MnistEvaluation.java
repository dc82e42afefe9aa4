package dev.ddpm.trainer.eval;

import ai.djl.Device;
import dev.ddpm.trainer.checkpoint.CheckpointManifest;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.data.DatasetReader;
import dev.ddpm.trainer.data.IdxLabels;
import dev.ddpm.trainer.data.InMemoryImageSet;
import dev.ddpm.trainer.data.Pixels;
import dev.ddpm.trainer.train.DiffusionNetwork;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The MNIST quality of a run's samples: FLD beside the real-vs-real floor, the share of confidently
 * recognised digits and the class histogram ({@link QualityReport}). The feature classifier is trained
 * once on the MNIST folder's training digits and cached there ({@value #CLASSIFIER_CACHE}), so every
 * evaluation of every run measures with the same one.
 */
public final class MnistEvaluation {

    /** The classifier's cache file in the MNIST folder; a new file name when the classifier changes. */
    public static final String CLASSIFIER_CACHE = "classifier-v1.bin";

    public static final int DEFAULT_SAMPLES = 1000;
    /** Epochs of the classifier's one training. */
    public static final int DEFAULT_EPOCHS = 2;

    private MnistEvaluation() {}

    /**
     * @param mnist   folder with MNIST's four IDX files (scripts/fetch-mnist.sh)
     * @param samples samples drawn, compared with as many test and training digits
     * @param epochs  epochs of the classifier's training when it is not cached yet
     * @param log     told the classifier's calibration on the test digits before sampling starts
     */
    public static EvaluationResult evaluate(
            CheckpointStore checkpoints,
            String run,
            Device device,
            Path mnist,
            int samples,
            int epochs,
            long seed,
            SampleSource source,
            Consumer<String> log) {
        // Checked before the data set is read or the classifier trained, so a wrong run fails at once.
        CheckpointManifest manifest = checkpoints.latest(run);
        int size = manifest.architecture().imageSize();
        // 28x28 (MNIST's own) to 32x32 samples are centred as the reader pads real digits; smaller
        // ones would be shrunken digits the classifier never saw, so their metrics would mislead.
        if (manifest.architecture().imageChannels() != 1 || size < 28 || size > FeatureClassifier.MNIST_SIZE) {
            throw new IllegalStateException(
                    "run " + run + " makes " + manifest.architecture().imageChannels() + "x"
                            + size + "x" + size + " images; the MNIST metrics need one channel at 28x28 to 32x32 "
                            + "(e.g. preset mnist-28 or mnist)");
        }
        try (FeatureClassifier classifier = FeatureClassifier.mnist(device, 1)) {
            DatasetReader reader = new DatasetReader(1, FeatureClassifier.MNIST_SIZE);
            InMemoryImageSet train = reader.read(mnist.resolve("train-images-idx3-ubyte"));
            InMemoryImageSet test = reader.read(mnist.resolve("t10k-images-idx3-ubyte"));
            int[] testLabels = IdxLabels.read(mnist.resolve("t10k-labels-idx1-ubyte"));
            Path cache = mnist.resolve(CLASSIFIER_CACHE);
            if (Files.exists(cache)) {
                classifier.load(Files.readAllBytes(cache), cache.toString());
            } else {
                classifier.train(train, IdxLabels.read(mnist.resolve("train-labels-idx1-ubyte")), epochs, 64, 1, false);
                Files.write(cache, classifier.save());
            }
            log.accept("feature classifier on the " + test.size() + " test digits: "
                    + classifier.calibration(test, testLabels));
            try (DiffusionNetwork network = checkpoints.restore(run, device)) {
                long started = System.nanoTime();
                SampleSource.Drawn drawn = source.draw(network, samples, seed);
                double sampling = (System.nanoTime() - started) / 1e9;
                float[][] images = drawn.images();
                for (int i = 0; i < images.length; i++) {
                    images[i] = Pixels.centred(images[i], size, FeatureClassifier.MNIST_SIZE);
                }
                float[][] real = new float[Math.min(samples, test.size())][];
                float[][] reference = new float[real.length][];
                for (int i = 0; i < real.length; i++) {
                    real[i] = test.image(i);
                    reference[i] = train.image(i);
                }
                return new EvaluationResult(
                        run,
                        manifest.step(),
                        drawn.description(),
                        QualityReport.of(classifier, images, real, reference),
                        sampling);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read or write " + mnist + ": " + e.getMessage(), e);
        }
    }
}
