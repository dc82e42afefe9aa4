package dev.ddpm.trainer.eval;

import ai.djl.Device;
import dev.ddpm.trainer.data.ImageSet;
import dev.ddpm.trainer.data.InMemoryImageSet;
import dev.ddpm.trainer.data.Labels;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The quality metric of any labelled data set, ready to score samples: the data set's own
 * classifier (with a reject class, {@link OutOfSetImages}), trained on a fixed 80 % of its images, and two disjoint
 * real sets from the other 20 %
 * (one to compare samples with, one for the real-vs-real floor at the samples' count). Samples
 * are also checked for memorisation against the whole set when it is small
 * ({@link Memorisation#MAX_TRAINING_IMAGES}).
 */
public final class QualityProbe implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(QualityProbe.class);
    /** Image presentations the classifier trains on (epochs are this over the training share, 2..40). */
    static final int CLASSIFIER_PRESENTATIONS = 40_000;

    private final FeatureClassifier classifier;
    private final List<String> classes;
    private final float[][] real;
    private final float[][] reference;
    private final float[][] training;
    private final int[] referenceIndices;
    private final FeatureClassifier.Calibration calibration;

    private QualityProbe(
            FeatureClassifier classifier,
            List<String> classes,
            float[][] real,
            float[][] reference,
            float[][] training,
            int[] referenceIndices,
            FeatureClassifier.Calibration calibration) {
        this.classifier = classifier;
        this.classes = classes;
        this.real = real;
        this.reference = reference;
        this.training = training;
        this.referenceIndices = referenceIndices;
        this.calibration = calibration;
    }

    /**
     * Trains the classifier of {@code data} and sets the real sets aside for up to {@code samples}
     * generated images (fewer when the held-out share is smaller: see {@link #samples()}).
     *
     * @throws IllegalArgumentException when the data set has no labels or too few images to hold any out
     */
    public static QualityProbe train(ImageSet data, int samples, boolean flips, Device device, long seed) {
        Labels labels = data.labels()
                .orElseThrow(() -> new IllegalArgumentException(
                        "the quality metric needs a labelled data set (IDX labels, CIFAR-10, emoji categories or one"
                                + " sub-folder per class); this one names no classes"));
        int n = data.size();
        int heldOut = n / 5;
        int perSet = Math.min(samples, heldOut / 2);
        if (perSet < 2) {
            throw new IllegalArgumentException(
                    "the quality metric needs at least 20 labelled images, the data set has " + n);
        }
        int[] order = shuffled(n, seed);
        List<float[]> trainImages = new ArrayList<>();
        int[] trainLabels = new int[n - heldOut];
        for (int i = heldOut; i < n; i++) {
            trainLabels[i - heldOut] = labels.ofImage()[order[i]];
            trainImages.add(data.image(order[i]));
        }
        InMemoryImageSet classifierSet =
                new InMemoryImageSet(data.channels(), data.imageSize(), trainImages, List.of());
        float[][] real = new float[perSet][];
        float[][] reference = new float[perSet][];
        int[] referenceIndices = new int[perSet];
        int[] heldLabels = new int[2 * perSet];
        List<float[]> held = new ArrayList<>();
        for (int i = 0; i < perSet; i++) {
            real[i] = data.image(order[i]);
            referenceIndices[i] = order[perSet + i];
            reference[i] = data.image(referenceIndices[i]);
        }
        for (int i = 0; i < 2 * perSet; i++) {
            held.add(data.image(order[i]));
            heldLabels[i] = labels.ofImage()[order[i]];
        }
        // One class more than the data set's: the reject class of images of none of them.
        FeatureClassifier classifier =
                new FeatureClassifier(device, data.channels(), data.imageSize(), labels.count() + 1, seed);
        try {
            int epochs = Math.max(2, Math.min(40, CLASSIFIER_PRESENTATIONS / classifierSet.size()));
            long started = System.nanoTime();
            classifier.train(classifierSet, trainLabels, epochs, 64, seed, flips, labels.count());
            FeatureClassifier.Calibration calibration = classifier.calibration(
                    new InMemoryImageSet(data.channels(), data.imageSize(), held, List.of()), heldLabels);
            LOG.infof(
                    "quality classifier: %d classes, %d epochs on %d images in %.0f s; on %d held-out images %s",
                    labels.count(),
                    epochs,
                    classifierSet.size(),
                    (System.nanoTime() - started) / 1e9,
                    held.size(),
                    calibration);
            float[][] training = null;
            if (n <= Memorisation.MAX_TRAINING_IMAGES) {
                training = new float[n][];
                for (int i = 0; i < n; i++) {
                    training[i] = data.image(i);
                }
            }
            return new QualityProbe(
                    classifier, labels.classes(), real, reference, training, referenceIndices, calibration);
        } catch (RuntimeException e) {
            classifier.close();
            throw e;
        }
    }

    /** How many generated images a measurement takes: the size of each real set. */
    public int samples() {
        return real.length;
    }

    /** The classifier on the held-out real images. */
    public FeatureClassifier.Calibration calibration() {
        return calibration;
    }

    /** The report of {@link #samples()} generated images (model space, the data set's geometry). */
    public QualityReport measure(float[][] generated) {
        if (generated.length != real.length) {
            throw new IllegalArgumentException(
                    "the probe compares " + real.length + " samples, got " + generated.length);
        }
        Memorisation memorisation = training == null ? null : Memorisation.of(generated, training, referenceIndices);
        return QualityReport.of(classifier, generated, real, reference, classes, memorisation);
    }

    /** 0..n-1 in the order a Fisher-Yates shuffle seeded with {@code seed} gives: the probes' fixed splits. */
    static int[] shuffled(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    @Override
    public void close() {
        classifier.close();
    }
}
