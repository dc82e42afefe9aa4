package dev.ddpm.trainer.eval;

import java.util.Arrays;
import java.util.Locale;

/**
 * Whether a model copies its training images: the median over samples of the distance to the
 * nearest training image (root mean square over pixels, in model space [-1, 1]) beside the same
 * median for training images themselves, each to its nearest other training image (how far apart
 * the data set's own images lie). A model that memorises lands far below the real images' figure (a
 * copy is at 0); one that makes new images of the same kind lands near it or above. Costs samples
 * x training images x pixels, so it is measured only for small data sets.
 *
 * @param medianNearest     the samples' median distance to their nearest training image
 * @param realMedianNearest the median distance of training images to their nearest other training image
 */
public record Memorisation(double medianNearest, double realMedianNearest) {

    /**
     * The largest training set the check runs on by default: 20,000 x 64 samples x 3,072 pixels is about 4e9
     * operations.
     */
    public static final int MAX_TRAINING_IMAGES = 20_000;

    /** @param real indices into {@code training} of the real images measured against the others */
    public static Memorisation of(float[][] samples, float[][] training, int[] real) {
        float[][] realImages = new float[real.length][];
        for (int i = 0; i < real.length; i++) {
            realImages[i] = training[real[i]];
        }
        return new Memorisation(medianNearest(samples, training, null), medianNearest(realImages, training, real));
    }

    /**
     * The median over {@code queries} of the RMS distance to the nearest of {@code training};
     * query q skips training image {@code itself[q]} (null: skips none).
     */
    static double medianNearest(float[][] queries, float[][] training, int[] itself) {
        double[] nearest = new double[queries.length];
        for (int q = 0; q < queries.length; q++) {
            float[] a = queries[q];
            double best = Double.MAX_VALUE;
            for (int t = 0; t < training.length; t++) {
                if (itself != null && itself[q] == t) {
                    continue;
                }
                float[] b = training[t];
                double sum = 0;
                for (int i = 0; i < a.length && sum < best; i++) {
                    double d = a[i] - b[i];
                    sum += d * d;
                }
                best = Math.min(best, sum);
            }
            nearest[q] = Math.sqrt(best / a.length);
        }
        Arrays.sort(nearest);
        int n = nearest.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? nearest[n / 2] : (nearest[n / 2 - 1] + nearest[n / 2]) / 2;
    }

    /** The samples' distance as a share of the real images' (1: as far as unseen real images, 0: copies). */
    public double ratio() {
        return realMedianNearest == 0 ? Double.NaN : medianNearest / realMedianNearest;
    }

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "nearest training image %.3f RMS (training images to their nearest other %.3f, ratio %.2f)",
                medianNearest,
                realMedianNearest,
                ratio());
    }
}
