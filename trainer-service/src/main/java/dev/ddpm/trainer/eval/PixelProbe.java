package dev.ddpm.trainer.eval;

import dev.ddpm.trainer.data.ImageSet;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The quality gate's probe for a data set without labels, where no classifier gives features: the
 * Frechet distance of the images average-pooled to at most {@value #POOLED}x{@value #POOLED} per
 * channel ({@code quality_pixel_fd}, lower is better) against a fixed held-out split of the training
 * images, and the median distance of the samples to their nearest training image outside that split
 * ({@code quality_nearest_train}, {@link Memorisation}) beside the same figure of the held-out images
 * ({@code quality_real_nearest_train}: how far real images lie from the others). Pooling keeps the covariance small enough for
 * a few dozen samples and measures layout and colour rather than pixel noise.
 */
public final class PixelProbe implements SampleProbe {

    /** Pooled side length: 64 features per channel. */
    static final int POOLED = 8;

    private final int channels;
    private final int imageSize;
    private final double[][] realFeatures;
    private final float[][] training;
    private final double realNearest;

    private PixelProbe(int channels, int imageSize, double[][] realFeatures, float[][] training, double realNearest) {
        this.channels = channels;
        this.imageSize = imageSize;
        this.realFeatures = realFeatures;
        this.training = training;
        this.realNearest = realNearest;
    }

    /**
     * Holds out {@code min(samples, size / 2)} images of {@code data}, chosen by {@code seed}, as the
     * real set; the nearest-training distance is measured against the others (at most
     * {@link Memorisation#MAX_TRAINING_IMAGES} of them).
     *
     * @throws IllegalArgumentException when the data set has fewer than 4 images
     */
    public static PixelProbe of(ImageSet data, int samples, long seed) {
        int n = data.size();
        int heldOut = Math.min(samples, n / 2);
        if (heldOut < 2) {
            throw new IllegalArgumentException(
                    "the pixel probe needs at least 4 images to hold 2 out, the data set has " + n);
        }
        int[] order = QualityProbe.shuffled(n, seed);
        double[][] real = new double[heldOut][];
        float[][] realImages = new float[heldOut][];
        for (int i = 0; i < heldOut; i++) {
            realImages[i] = data.image(order[i]);
            real[i] = pooled(realImages[i], data.channels(), data.imageSize());
        }
        float[][] training = new float[Math.min(n - heldOut, Memorisation.MAX_TRAINING_IMAGES)][];
        for (int i = 0; i < training.length; i++) {
            training[i] = data.image(order[heldOut + i]);
        }
        return new PixelProbe(
                data.channels(),
                data.imageSize(),
                real,
                training,
                Memorisation.medianNearest(realImages, training, null));
    }

    @Override
    public int samples() {
        return realFeatures.length;
    }

    @Override
    public String description() {
        int side = Math.min(POOLED, imageSize);
        return "pixels average-pooled to " + side + "x" + side + " per channel (Frechet distance) against "
                + realFeatures.length + " held-out training images, nearest of " + training.length
                + " training images";
    }

    @Override
    public Map<String, Double> measure(float[][] generated) {
        if (generated.length != realFeatures.length) {
            throw new IllegalArgumentException(
                    "the probe compares " + realFeatures.length + " samples, got " + generated.length);
        }
        double[][] features = new double[generated.length][];
        for (int i = 0; i < generated.length; i++) {
            features[i] = pooled(generated[i], channels, imageSize);
        }
        Map<String, Double> figures = new LinkedHashMap<>();
        figures.put("quality_samples", (double) generated.length);
        figures.put("quality_pixel_fd", FrechetDistance.between(features, realFeatures));
        figures.put("quality_nearest_train", Memorisation.medianNearest(generated, training, null));
        figures.put("quality_real_nearest_train", realNearest);
        figures.values().removeIf(v -> !Double.isFinite(v));
        return figures;
    }

    /** The image (C, H, W in model space) averaged over blocks to at most POOLED x POOLED per channel. */
    static double[] pooled(float[] image, int channels, int size) {
        int side = Math.min(POOLED, size);
        double[] out = new double[channels * side * side];
        for (int c = 0; c < channels; c++) {
            for (int by = 0; by < side; by++) {
                int y0 = by * size / side;
                int y1 = (by + 1) * size / side;
                for (int bx = 0; bx < side; bx++) {
                    int x0 = bx * size / side;
                    int x1 = (bx + 1) * size / side;
                    double sum = 0;
                    for (int y = y0; y < y1; y++) {
                        for (int x = x0; x < x1; x++) {
                            sum += image[(c * size + y) * size + x];
                        }
                    }
                    out[(c * side + by) * side + bx] = sum / ((y1 - y0) * (x1 - x0));
                }
            }
        }
        return out;
    }
}
