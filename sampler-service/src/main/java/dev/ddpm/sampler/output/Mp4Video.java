package dev.ddpm.sampler.output;

import org.jcodec.api.SequenceEncoder;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.jcodec.common.model.Rational;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Frames as an MP4 (H.264, yuv420p) with jcodec, a pure-Java encoder. Frames are scaled up by a
 * whole factor with nearest-neighbour (a 32x32 sample stays sharp and players show it at a useful
 * size) to at least {@value #MIN_SIDE} pixels on the shorter side, and padded to even sizes, which
 * 4:2:0 chroma needs. The last frame is repeated to hold the final image for {@code holdSeconds}.
 */
final class Mp4Video {

    static final int MIN_SIDE = 256;

    private Mp4Video() {}

    static byte[] encode(List<BufferedImage> frames, int framesPerSecond, double holdSeconds) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("a video needs at least one frame");
        }
        int scale = scale(frames.get(0).getWidth(), frames.get(0).getHeight());
        Path file = null;
        try {
            file = Files.createTempFile("ddpm-video-", ".mp4");
            try (SeekableByteChannel channel = NIOUtils.writableChannel(file.toFile())) {
                SequenceEncoder encoder = SequenceEncoder.createWithFps(channel, Rational.R(framesPerSecond, 1));
                for (BufferedImage frame : frames) {
                    encoder.encodeNativeFrame(picture(frame, scale));
                }
                Picture last = picture(frames.get(frames.size() - 1), scale);
                for (int i = 1; i < Math.round(holdSeconds * framesPerSecond); i++) {
                    encoder.encodeNativeFrame(last);
                }
                encoder.finish();
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the MP4: " + e.getMessage(), e);
        } finally {
            if (file != null) {
                file.toFile().delete();
            }
        }
    }

    /** The whole factor that brings the shorter side to at least {@link #MIN_SIDE}. */
    static int scale(int width, int height) {
        return Math.max(1, (int) Math.ceil((double) MIN_SIDE / Math.min(width, height)));
    }

    /** The frame scaled and padded (white) to even sides, as jcodec's RGB picture (bytes are value - 128). */
    private static Picture picture(BufferedImage frame, int scale) {
        int width = even(frame.getWidth() * scale);
        int height = even(frame.getHeight() * scale);
        Picture picture = Picture.create(width, height, ColorSpace.RGB);
        byte[] rgb = picture.getPlaneData(0);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int sx = x / scale;
                int sy = y / scale;
                int argb = sx < frame.getWidth() && sy < frame.getHeight() ? frame.getRGB(sx, sy) : 0xFFFFFF;
                int i = 3 * (y * width + x);
                rgb[i] = (byte) (((argb >> 16) & 0xFF) - 128);
                rgb[i + 1] = (byte) (((argb >> 8) & 0xFF) - 128);
                rgb[i + 2] = (byte) ((argb & 0xFF) - 128);
            }
        }
        return picture;
    }

    private static int even(int n) {
        return n + (n & 1);
    }
}
