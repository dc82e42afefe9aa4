package dev.ddpm.trainer.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.Arrays;

/** Conversions between decoded images and model space ([-1, 1], channel-major). */
public final class Pixels {

    private Pixels() {}

    /** 0..255 to [-1, 1] (Ho et al.: x / 127.5 - 1). */
    static float toModel(int value) {
        return value / 127.5f - 1f;
    }

    /**
     * Centre-crops to a square, scales to size x size (bilinear), and converts to 1 channel
     * (luminance) or 3 (RGB).
     */
    static float[] fromImage(BufferedImage source, int channels, int size) {
        int side = Math.min(source.getWidth(), source.getHeight());
        int x0 = (source.getWidth() - side) / 2;
        int y0 = (source.getHeight() - side) / 2;
        BufferedImage scaled = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(source, 0, 0, size, size, x0, y0, x0 + side, y0 + side, null);
        g.dispose();
        float[] out = new float[channels * size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int rgb = scaled.getRGB(x, y);
                int r = (rgb >> 16) & 0xFF;
                int gr = (rgb >> 8) & 0xFF;
                int b = rgb & 0xFF;
                int i = y * size + x;
                if (channels == 1) {
                    out[i] = toModel(Math.round(0.299f * r + 0.587f * gr + 0.114f * b));
                } else {
                    out[i] = toModel(r);
                    out[size * size + i] = toModel(gr);
                    out[2 * size * size + i] = toModel(b);
                }
            }
        }
        return out;
    }

    /**
     * One grayscale plane (rows x cols, 0..255) into size x size: centred with black (-1) padding
     * when it is smaller (MNIST's 28x28 into 32x32), scaled when it is larger.
     */
    static float[] fromGray(byte[] plane, int offset, int rows, int cols, int size) {
        if (rows <= size && cols <= size) {
            float[] out = new float[size * size];
            Arrays.fill(out, -1f);
            int top = (size - rows) / 2;
            int left = (size - cols) / 2;
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    out[(top + y) * size + left + x] = toModel(plane[offset + y * cols + x] & 0xFF);
                }
            }
            return out;
        }
        BufferedImage image = new BufferedImage(cols, rows, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                int v = plane[offset + y * cols + x] & 0xFF;
                image.setRGB(x, y, (v << 16) | (v << 8) | v);
            }
        }
        return fromImage(image, 1, size);
    }

    /**
     * A one-channel model image (size x size, model range -1..1) centred on a black (-1) canvas of
     * target x target: how a model trained on MNIST's own 28x28 meets the 32x32 the MNIST classifier
     * was trained on (the same padding the data reader gives real digits).
     */
    public static float[] centred(float[] image, int size, int target) {
        if (image.length != size * size || size > target) {
            throw new IllegalArgumentException("cannot centre a " + image.length + "-value image as " + size + "x"
                    + size + " on " + target + "x" + target);
        }
        float[] out = new float[target * target];
        Arrays.fill(out, -1f);
        int offset = (target - size) / 2;
        for (int y = 0; y < size; y++) {
            System.arraycopy(image, y * size, out, (offset + y) * target + offset, size);
        }
        return out;
    }
}
