package dev.ddpm.trainer.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * How close generated images are to a labelled data set, in the features of the data set's own
 * classifier ({@link FeatureClassifier}): the Frechet distance to real images (FLD) beside the
 * real-vs-real floor (a second real set of the same size), the share of samples the classifier
 * calls a class of the data set with confidence >= 0.9 (not its reject class, where it has one)
 * beside the same share of real images (the ceiling the classifier allows), how the recognised samples spread over the
 * classes, and, where it was
 * measured, the memorisation check ({@link Memorisation}).
 */
public record QualityReport(
        int samples,
        double fld,
        double floor,
        double recognisableShare,
        double realShare,
        double[] classShares,
        List<String> classes,
        Memorisation memorisation) {

    public static final double CONFIDENT = 0.9;

    /** Computes the report; {@code real} and {@code reference} are two disjoint real sets (floor). */
    public static QualityReport of(
            FeatureClassifier classifier, float[][] generated, float[][] real, float[][] reference) {
        return of(classifier, generated, real, reference, digits(classifier.classes()), null);
    }

    /** @param memorisation the nearest-training-image check of the same samples, or null when not measured */
    public static QualityReport of(
            FeatureClassifier classifier,
            float[][] generated,
            float[][] real,
            float[][] reference,
            List<String> classNames,
            Memorisation memorisation) {
        double[][] realFeatures = classifier.features(real);
        double fld = FrechetDistance.between(classifier.features(generated), realFeatures);
        double floor = FrechetDistance.between(classifier.features(reference), realFeatures);
        double[] classes = new double[classNames.size()];
        double share = recognised(classifier.probabilities(generated), classes);
        double realShare = recognised(classifier.probabilities(reference), new double[classNames.size()]);
        return new QualityReport(generated.length, fld, floor, share, realShare, classes, classNames, memorisation);
    }

    /**
     * The share of images classified with confidence >= 0.9 as one of {@code classes} (a classifier's
     * reject class, after them, does not count); fills {@code classes} with how they spread.
     */
    private static double recognised(float[][] probabilities, double[] classes) {
        int confident = 0;
        for (float[] p : probabilities) {
            int best = FeatureClassifier.argmax(p);
            if (best < classes.length && p[best] >= CONFIDENT) {
                confident++;
                classes[best]++;
            }
        }
        for (int c = 0; c < classes.length; c++) {
            classes[c] = confident == 0 ? 0 : classes[c] / confident;
        }
        return probabilities.length == 0 ? 0 : (double) confident / probabilities.length;
    }

    private static List<String> digits(int count) {
        return IntStream.range(0, count).mapToObj(Integer::toString).toList();
    }

    public double largestClassShare() {
        return Arrays.stream(classShares).max().orElse(0);
    }

    /**
     * The report as metric names and values, as TrainingProgress and the model manifest carry them:
     * {@code quality_fld}, {@code quality_fld_floor}, {@code quality_recognisable},
     * {@code quality_real_recognisable}, {@code quality_largest_class} and, where measured,
     * {@code quality_nearest_train} and {@code quality_real_nearest_train}.
     */
    public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("quality_samples", (double) samples);
        m.put("quality_fld", fld);
        m.put("quality_fld_floor", floor);
        m.put("quality_recognisable", recognisableShare);
        m.put("quality_real_recognisable", realShare);
        m.put("quality_largest_class", largestClassShare());
        if (memorisation != null) {
            m.put("quality_nearest_train", memorisation.medianNearest());
            m.put("quality_real_nearest_train", memorisation.realMedianNearest());
        }
        m.values().removeIf(v -> !Double.isFinite(v));
        return m;
    }

    @Override
    public String toString() {
        StringBuilder histogram = new StringBuilder();
        for (int c = 0; c < classShares.length; c++) {
            histogram.append(String.format(Locale.ROOT, " %s:%.0f%%", classes.get(c), 100 * classShares[c]));
        }
        return String.format(
                Locale.ROOT,
                "%d samples: FLD %.2f (real-vs-real floor %.2f), recognisable %.1f%% (real %.1f%%)," + " classes%s%s",
                samples,
                fld,
                floor,
                100 * recognisableShare,
                100 * realShare,
                histogram,
                memorisation == null ? "" : "; " + memorisation);
    }
}
