package dev.ddpm.trainer.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A labelled colour data set the tests make themselves: discs, squares, crosses and horizontal
 * bars, each in one of six colours at a random place and size on a light background. The shape is
 * the label, so a classifier must learn form, not colour.
 */
public final class ColouredShapes {

    static final List<String> SHAPES = List.of("bar", "cross", "disc", "square");
    private static final float[][] COLOURS = {
        {0.9f, 0.1f, 0.1f},
        {0.1f, 0.7f, 0.2f},
        {0.1f, 0.3f, 0.9f},
        {0.95f, 0.8f, 0.1f},
        {0.6f, 0.2f, 0.8f},
        {0.1f, 0.1f, 0.1f}
    };

    private ColouredShapes() {}

    /** {@code count} images of 3 x size x size, labelled by shape, reproducible from {@code seed}. */
    public static InMemoryImageSet generate(int count, int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<float[]> images = new ArrayList<>();
        int[] labels = new int[count];
        for (int n = 0; n < count; n++) {
            int shape = n % SHAPES.size();
            float[] colour = COLOURS[random.nextInt(COLOURS.length)];
            double radius = size * (0.22 + 0.12 * random.nextDouble());
            double cx = size / 2.0 + (random.nextDouble() - 0.5) * size * 0.3;
            double cy = size / 2.0 + (random.nextDouble() - 0.5) * size * 0.3;
            float[] image = new float[3 * size * size];
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    double dx = x + 0.5 - cx;
                    double dy = y + 0.5 - cy;
                    boolean on = switch (SHAPES.get(shape)) {
                        case "disc" -> dx * dx + dy * dy <= radius * radius;
                        case "square" -> Math.abs(dx) <= radius * 0.85 && Math.abs(dy) <= radius * 0.85;
                        case "cross" ->
                            Math.abs(dx) <= radius
                                    && Math.abs(dy) <= radius
                                    && (Math.abs(dx) <= radius * 0.3 || Math.abs(dy) <= radius * 0.3);
                        default -> Math.abs(dx) <= radius * 1.2 && Math.abs(dy) <= radius * 0.35;
                    };
                    for (int c = 0; c < 3; c++) {
                        float value = on ? colour[c] : 0.92f;
                        image[c * size * size + y * size + x] = value * 2 - 1;
                    }
                }
            }
            images.add(image);
            labels[n] = shape;
        }
        return new InMemoryImageSet(3, size, images, List.of(), new Labels(labels, SHAPES));
    }
}
