package dev.ddpm.trainer.eval;

import java.util.Arrays;

/**
 * What `evaluate` reports: the Frechet distance of generated images to real ones in the classifier's
 * feature space (FLD), beside the real-vs-real floor (two real sets of the same size), the share of
 * samples the classifier calls a digit with confidence >= 0.9 beside the same share of real digits
 * (the ceiling the classifier allows), and how the recognised samples spread over the classes.
 */
public record QualityReport(int samples, double fld, double floor, double recognisableShare, double realShare,
                            double[] classShares) {

    public static final double CONFIDENT = 0.9;

    /** Computes the report; {@code real} and {@code reference} are two disjoint real sets (floor). */
    public static QualityReport of(MnistClassifier classifier, float[][] generated, float[][] real, float[][] reference) {
        double[][] genFeatures = classifier.features(generated);
        double[][] realFeatures = classifier.features(real);
        double fld = FrechetDistance.between(genFeatures, realFeatures);
        double floor = FrechetDistance.between(classifier.features(reference), realFeatures);
        double[] classes = new double[10];
        double share = recognised(classifier.probabilities(generated), classes);
        double realShare = recognised(classifier.probabilities(reference), new double[10]);
        return new QualityReport(generated.length, fld, floor, share, realShare, classes);
    }

    /** The share of images classified with confidence >= 0.9; fills {@code classes} with how they spread. */
    private static double recognised(float[][] probabilities, double[] classes) {
        int confident = 0;
        for (float[] p : probabilities) {
            int best = MnistClassifier.argmax(p);
            if (p[best] >= CONFIDENT) {
                confident++;
                classes[best]++;
            }
        }
        for (int c = 0; c < classes.length; c++) {
            classes[c] = confident == 0 ? 0 : classes[c] / confident;
        }
        return probabilities.length == 0 ? 0 : (double) confident / probabilities.length;
    }

    public double largestClassShare() {
        return Arrays.stream(classShares).max().orElse(0);
    }

    @Override
    public String toString() {
        StringBuilder histogram = new StringBuilder();
        for (int c = 0; c < 10; c++) {
            histogram.append(String.format(" %d:%.0f%%", c, 100 * classShares[c]));
        }
        return String.format("%d samples: FLD %.2f (real-vs-real floor %.2f), recognisable %.1f%% (real digits %.1f%%),"
                + " classes%s", samples, fld, floor, 100 * recognisableShare, 100 * realShare, histogram);
    }
}
