package dev.ddpm.sampler.output;

import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.image.ImageEncoding;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Model-space results to the files a client asked for. */
public final class ResultEncoder {

    static final int GRID_PADDING = 2;
    /** Animation timing, the same in the GIF and the MP4: 10 frames a second, the final image held 1.5 s. */
    static final int FRAMES_PER_SECOND = 10;

    static final double HOLD_SECONDS = 1.5;

    private ResultEncoder() {}

    /**
     * @param frames the reverse process at the steps {@link dev.ddpm.core.diffusion.AnimationFrames} shows
     *               (only for GIF and VIDEO), each frame all images, {@link ImageEncoding#quantise quantised}
     */
    public static List<EncodedImage> encode(
            OutputFormat format, float[][] images, List<byte[][]> frames, int channels, int size) {
        int columns = (int) Math.ceil(Math.sqrt(images.length));
        return switch (format) {
            case GRID ->
                List.of(new EncodedImage(
                        0,
                        ImageEncoding.png(
                                ImageEncoding.grid(Arrays.asList(images), channels, size, columns, GRID_PADDING)),
                        "image/png"));
            case GIF -> List.of(gif(grids(frames, channels, size, columns)));
            case VIDEO -> {
                List<BufferedImage> grids = grids(frames, channels, size, columns);
                yield List.of(
                        gif(grids),
                        new EncodedImage(1, Mp4Video.encode(grids, FRAMES_PER_SECOND, HOLD_SECONDS), "video/mp4"));
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

    private static List<BufferedImage> grids(List<byte[][]> frames, int channels, int size, int columns) {
        List<BufferedImage> grids = new ArrayList<>();
        for (byte[][] frame : frames) {
            grids.add(ImageEncoding.gridOfQuantised(Arrays.asList(frame), channels, size, columns, GRID_PADDING));
        }
        return grids;
    }

    private static EncodedImage gif(List<BufferedImage> grids) {
        return new EncodedImage(
                0, ImageEncoding.gif(grids, 100 / FRAMES_PER_SECOND, (int) (100 * HOLD_SECONDS)), "image/gif");
    }

    /** The file extension of a result's media type. */
    public static String extension(String mediaType) {
        return switch (mediaType) {
            case "image/gif" -> "gif";
            case "video/mp4" -> "mp4";
            default -> "png";
        };
    }
}
