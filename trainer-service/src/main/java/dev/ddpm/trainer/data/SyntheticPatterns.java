package dev.ddpm.trainer.data;

import java.util.ArrayList;
import java.util.List;

/**
 * A data set with known modes for learning tests: a few fixed black-and-white patterns repeated with
 * given weights. A model that learned the distribution samples images close to one of the patterns,
 * in about these proportions; an untrained one samples noise.
 */
public final class SyntheticPatterns implements ImageSet {

    private final int size;
    private final List<float[]> patterns;
    private final int[] modeOfImage;

    /**
     * @param size   height = width
     * @param copies how many copies of each pattern the set holds (the weights of the modes)
     */
    public SyntheticPatterns(int size, int... copies) {
        this.size = size;
        this.patterns = standardPatterns(size).subList(0, copies.length);
        int total = 0;
        for (int c : copies) {
            total += c;
        }
        this.modeOfImage = new int[total];
        int next = 0;
        for (int mode = 0; mode < copies.length; mode++) {
            for (int i = 0; i < copies[mode]; i++) {
                modeOfImage[next++] = mode;
            }
        }
    }

    /** Horizontal stripes, vertical stripes, a checkerboard and a centred square, in {-1, 1}. */
    static List<float[]> standardPatterns(int size) {
        List<float[]> list = new ArrayList<>();
        int cell = Math.max(1, size / 4);
        list.add(draw(size, (x, y) -> (y / cell) % 2 == 0));
        list.add(draw(size, (x, y) -> (x / cell) % 2 == 0));
        list.add(draw(size, (x, y) -> ((x / cell) + (y / cell)) % 2 == 0));
        list.add(draw(size, (x, y) -> x >= size / 4 && x < size - size / 4 && y >= size / 4 && y < size - size / 4));
        return list;
    }

    private interface Pixel {
        boolean on(int x, int y);
    }

    private static float[] draw(int size, Pixel pixel) {
        float[] image = new float[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                image[y * size + x] = pixel.on(x, y) ? 1f : -1f;
            }
        }
        return image;
    }

    public List<float[]> patterns() {
        return patterns;
    }

    @Override
    public int size() {
        return modeOfImage.length;
    }

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public int imageSize() {
        return size;
    }

    @Override
    public float[] image(int index) {
        return patterns.get(modeOfImage[index]);
    }

    /** Index of the nearest pattern and the root-mean-square distance to it. */
    public Match nearest(float[] image) {
        int best = -1;
        double bestRms = Double.MAX_VALUE;
        for (int mode = 0; mode < patterns.size(); mode++) {
            float[] p = patterns.get(mode);
            double sum = 0;
            for (int i = 0; i < p.length; i++) {
                double d = Math.max(-1, Math.min(1, image[i])) - p[i];
                sum += d * d;
            }
            double rms = Math.sqrt(sum / p.length);
            if (rms < bestRms) {
                bestRms = rms;
                best = mode;
            }
        }
        return new Match(best, bestRms);
    }

    public record Match(int mode, double rms) {}
}
