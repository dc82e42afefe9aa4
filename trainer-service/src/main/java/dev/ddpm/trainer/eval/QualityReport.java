package dev.ddpm.trainer.eval;

import java.util.Arrays;

/**
 * What `evaluate` reports: the Frechet distance of generated images to real ones in the classifier's
 * feature space (FLD), beside the real-vs-real floor (two real sets of the same size), the share of
 * samples the classifier calls a digit with confidence >= 0.9, and how those spread over the classes.
 */
public record QualityReport(int samples, double fld, double floor, double recognisableShare, double[] classShares) {

    public static final double CONFIDENT = 0.9;

    /** Computes the report; {@code real} and {@code reference} are two disjoint real sets (floor). */
    public static QualityReport of(MnistClassifier classifier, float[][] generated, float[][] real, float[][] reference) {
        double[][] genFeatures = classifier.features(generated);
        double[][] realFeatures = classifier.features(real);
        double fld = FrechetDistance.between(genFeatures, realFeatures);
        double floor = FrechetDistance.between(classifier.features(reference), realFeatures);
        float[][] probabilities = classifier.probabilities(generated);
        int confident = 0;
        double[] classes = new double[10];
        for (float[] p : probabilities) {
            int best = MnistClassifier.argmax(p);
            if (p[best] >= CONFIDENT) {
                confident++;
                classes[best]++;
            }
        }
        for (int c = 0; c < 10; c++) {
            classes[c] = confident == 0 ? 0 : classes[c] / confident;
        }
        return new QualityReport(generated.length, fld, floor, (double) confident / generated.length, classes);
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
        return String.format("%d samples: FLD %.2f (real-vs-real floor %.2f), recognisable %.1f%%, classes%s",
                samples, fld, floor, 100 * recognisableShare, histogram);
    }
}
