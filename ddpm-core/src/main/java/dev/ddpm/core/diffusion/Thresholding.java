package dev.ddpm.core.diffusion;

import java.util.Arrays;

/**
 * What a scheduler does to each data prediction x_0 before it steps with it: nothing, clipping to
 * [-1, 1], or dynamic thresholding (Saharia et al. 2022, "Photorealistic Text-to-Image Diffusion
 * Models with Deep Language Understanding", section 2.3; diffusers' {@code thresholding = True}).
 * Dynamic thresholding takes s, the p-th percentile of |x_0| over the image, no smaller than 1,
 * clamps x_0 to [-s, s] and divides it by s: pixels that saturate are pulled back instead of clipped
 * flat, which keeps detail where a prediction overshoots (strong guidance does that). Where every
 * |x_0| <= 1 it changes nothing; where s stays 1 it is clipping.
 *
 * <p>diffusers also caps s at {@code sample_max_value} (1 by default, which for pixel models turns
 * dynamic thresholding back into clipping); as in Imagen, s is not capped here.
 */
public final class Thresholding {

    /** x_0 as the network predicts it. */
    public static final Thresholding NONE = new Thresholding(Double.NaN);
    /** x_0 clipped to [-1, 1]. */
    public static final Thresholding CLIP = new Thresholding(Double.NaN);

    /** A percentile's bounds: above 0, at most 1 (1 is the largest |x_0|). */
    public static final double MIN_PERCENTILE = 0.0;

    public static final double MAX_PERCENTILE = 1.0;

    private final double percentile;

    private Thresholding(double percentile) {
        this.percentile = percentile;
    }

    /** Clipping to [-1, 1], or nothing. */
    public static Thresholding clipping(boolean clip) {
        return clip ? CLIP : NONE;
    }

    /** Dynamic thresholding at percentile p of |x_0|, p in (0, 1] (Imagen uses 0.995). */
    public static Thresholding dynamic(double percentile) {
        String problem = percentileProblem(percentile);
        if (problem != null) {
            throw new IllegalArgumentException("threshold " + problem);
        }
        return new Thresholding(percentile);
    }

    /** A request's choice: dynamic thresholding when it names a percentile, else clipping or nothing. */
    public static Thresholding of(boolean clip, Double percentile) {
        return percentile != null ? dynamic(percentile) : clipping(clip);
    }

    /** What is wrong with a percentile, said after the word "threshold", or null when it is fine. */
    public static String percentileProblem(double percentile) {
        if (!(percentile > MIN_PERCENTILE && percentile <= MAX_PERCENTILE)) {
            return "must be a percentile in (0, 1], was " + percentile;
        }
        return null;
    }

    /** Whether x_0 may come out different from the prediction. */
    public boolean changesPrediction() {
        return this != NONE;
    }

    /** Applies it to {@code x0} in place. */
    public void apply(float[] x0) {
        if (this == NONE) {
            return;
        }
        if (this == CLIP) {
            ForwardProcess.clip(x0);
            return;
        }
        // s = max(1, quantile_p(|x_0|)); x_0 = clamp(x_0, -s, s) / s (Saharia et al. 2022, section 2.3)
        double s = Math.max(1.0, quantileOfMagnitude(x0, percentile));
        for (int i = 0; i < x0.length; i++) {
            x0[i] = (float) (Math.max(-s, Math.min(s, x0[i])) / s);
        }
    }

    /** The p-quantile of |x| with linear interpolation between order statistics (numpy's and torch's default). */
    static double quantileOfMagnitude(float[] x, double p) {
        double[] magnitudes = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            magnitudes[i] = Math.abs(x[i]);
        }
        Arrays.sort(magnitudes);
        double position = p * (magnitudes.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, magnitudes.length - 1);
        double fraction = position - below;
        return magnitudes[below] + fraction * (magnitudes[above] - magnitudes[below]);
    }

    /** The percentile of dynamic thresholding, or null for clipping and nothing. */
    public Double percentile() {
        return Double.isNaN(percentile) ? null : percentile;
    }

    @Override
    public String toString() {
        return this == NONE ? "none" : this == CLIP ? "clip" : "dynamic(p=" + percentile + ")";
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        return o instanceof Thresholding other
                && !Double.isNaN(percentile)
                && Double.compare(percentile, other.percentile) == 0;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(percentile);
    }
}
