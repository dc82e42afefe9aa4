package dev.ddpm.sampler.output;

import dev.ddpm.core.events.OutputFormat;
import dev.ddpm.core.image.ImageEncoding;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Model-space results to the files a client asked for. */
public final class ResultEncoder {

    static final int GRID_PADDING = 2;

    private ResultEncoder() {
    }

    /**
     * @param frames the reverse process every few steps (only for GIF)
     */
    public static List<EncodedImage> encode(OutputFormat format, float[][] images, List<float[][]> frames,
                                            int channels, int size) {
        int columns = (int) Math.ceil(Math.sqrt(images.length));
        return switch (format) {
            case GRID -> List.of(new EncodedImage(0, ImageEncoding.png(
                    ImageEncoding.grid(Arrays.asList(images), channels, size, columns, GRID_PADDING)), "image/png"));
            case GIF -> {
                List<BufferedImage> grids = new ArrayList<>();
                for (float[][] frame : frames) {
                    grids.add(ImageEncoding.grid(Arrays.asList(frame), channels, size, columns, GRID_PADDING));
                }
                yield List.of(new EncodedImage(0, ImageEncoding.gif(grids, 8, 150), "image/gif"));
            }
            case PNG, JSON -> {
                List<EncodedImage> files = new ArrayList<>();
                for (int i = 0; i < images.length; i++) {
                    files.add(new EncodedImage(i, ImageEncoding.png(images[i], channels, size), "image/png"));
                }
                yield files;
            }
        };
    }
}
