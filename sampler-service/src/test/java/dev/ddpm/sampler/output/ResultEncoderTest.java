package dev.ddpm.sampler.output;

import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.image.ImageEncoding;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reverse-process video: a GIF and an MP4 of the same frames, both decodable, with every frame
 * in order and the final image last (the MP4 holds it for 1.5 s).
 */
class ResultEncoderTest {

    private static final int SIZE = 16;

    @Test
    void aVideoIsAGifAndAnMp4OfTheFramesInOrderEndingOnTheFinalImage() throws Exception {
        // Frame k: two colour images whose brightness grows with k (a process that visibly moves).
        int frameCount = 12;
        List<byte[][]> frames = new ArrayList<>();
        float[][] last = null;
        for (int k = 0; k < frameCount; k++) {
            last = new float[][] {colour(k, frameCount, 0), colour(k, frameCount, 1)};
            frames.add(new byte[][] {ImageEncoding.quantise(last[0]), ImageEncoding.quantise(last[1])});
        }

        List<EncodedImage> files = ResultEncoder.encode(OutputFormat.VIDEO, last, frames, 3, SIZE);

        assertThat(files).extracting(EncodedImage::mediaType).containsExactly("image/gif", "video/mp4");
        assertThat(files).extracting(EncodedImage::index).containsExactly(0, 1);
        BufferedImage finalGrid = ImageEncoding.grid(Arrays.asList(last), 3, SIZE, 2, ResultEncoder.GRID_PADDING);

        List<BufferedImage> gif = VideoFrames.gif(files.get(0).data());
        assertThat(gif).hasSize(frameCount);
        assertThat(brightness(gif)).isSorted();
        assertThat(VideoFrames.meanDifference(finalGrid, gif.get(frameCount - 1), 1))
                .isLessThan(4);

        List<BufferedImage> mp4 = VideoFrames.mp4(files.get(1).data());
        int hold = (int) Math.round(ResultEncoder.HOLD_SECONDS * ResultEncoder.FRAMES_PER_SECOND) - 1;
        assertThat(mp4).hasSize(frameCount + hold);
        int scale = Mp4Video.scale(finalGrid.getWidth(), finalGrid.getHeight());
        assertThat(mp4.get(0).getWidth())
                .isGreaterThanOrEqualTo(finalGrid.getWidth() * scale)
                .isEven();
        assertThat(brightness(mp4.subList(0, frameCount))).isSorted();
        for (BufferedImage held : mp4.subList(frameCount - 1, mp4.size())) {
            assertThat(VideoFrames.meanDifference(finalGrid, held, scale))
                    .as("H.264 is lossy, but close")
                    .isLessThan(8);
        }
        assertThat(VideoFrames.meanDifference(finalGrid, mp4.get(0), scale)).isGreaterThan(40);
    }

    /** A 3 x SIZE x SIZE image: a bright square on a background that brightens with k. */
    private static float[] colour(int k, int of, int variant) {
        float[] image = new float[3 * SIZE * SIZE];
        float level = -1 + 2f * k / (of - 1);
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < SIZE * SIZE; i++) {
                boolean square = i % SIZE > 3 && i % SIZE < 12 && i / SIZE > 3 && i / SIZE < 12;
                image[c * SIZE * SIZE + i] = square ? (c == variant ? 1f : -0.5f) : level;
            }
        }
        return image;
    }

    private static List<Double> brightness(List<BufferedImage> frames) {
        List<Double> out = new ArrayList<>();
        for (BufferedImage frame : frames) {
            double sum = 0;
            for (int y = 0; y < frame.getHeight(); y++) {
                for (int x = 0; x < frame.getWidth(); x++) {
                    sum += frame.getRGB(x, y) & 0xFF;
                }
            }
            // Rounded: H.264 moves a flat frame's level by a unit or so.
            out.add((double) Math.round(sum / (frame.getWidth() * frame.getHeight()) / 4));
        }
        return out;
    }
}
