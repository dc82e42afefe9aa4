package dev.ddpm.sampler.output;

import org.jcodec.api.FrameGrab;
import org.jcodec.common.io.ByteBufferSeekableByteChannel;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.jcodec.scale.ColorUtil;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Decodes the animations the sampler writes, frame by frame, as tests read them. */
public final class VideoFrames {

    private VideoFrames() {}

    public static List<BufferedImage> gif(byte[] data) throws Exception {
        List<BufferedImage> frames = new ArrayList<>();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(data))) {
            ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
            reader.setInput(in);
            int count = reader.getNumImages(true);
            for (int i = 0; i < count; i++) {
                frames.add(reader.read(i));
            }
        }
        return frames;
    }

    /** The MP4's frames in display order, as RGB images. */
    public static List<BufferedImage> mp4(byte[] data) throws Exception {
        FrameGrab grab =
                FrameGrab.createFrameGrab(ByteBufferSeekableByteChannel.readFromByteBuffer(ByteBuffer.wrap(data)));
        List<BufferedImage> frames = new ArrayList<>();
        for (Picture picture; (picture = grab.getNativeFrame()) != null; ) {
            Picture rgb = Picture.create(picture.getWidth(), picture.getHeight(), ColorSpace.RGB);
            ColorUtil.getTransform(picture.getColor(), ColorSpace.RGB).transform(picture, rgb);
            byte[] bytes = rgb.getPlaneData(0);
            BufferedImage image = new BufferedImage(rgb.getWidth(), rgb.getHeight(), BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < rgb.getHeight(); y++) {
                for (int x = 0; x < rgb.getWidth(); x++) {
                    int i = 3 * (y * rgb.getWidth() + x);
                    image.setRGB(x, y, ((bytes[i] + 128) << 16) | ((bytes[i + 1] + 128) << 8) | (bytes[i + 2] + 128));
                }
            }
            frames.add(image);
        }
        return frames;
    }

    /** How much the MP4 scales a frame of this size up. */
    public static int mp4Scale(BufferedImage frame) {
        return Mp4Video.scale(frame.getWidth(), frame.getHeight());
    }

    /** Mean absolute difference of two images' channels in 0..255, {@code b} read at 1/scale (a scaled-up copy). */
    public static double meanDifference(BufferedImage a, BufferedImage b, int scale) {
        double sum = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x * scale + scale / 2, y * scale + scale / 2);
                for (int shift = 0; shift <= 16; shift += 8) {
                    sum += Math.abs(((p >> shift) & 0xFF) - ((q >> shift) & 0xFF));
                }
            }
        }
        return sum / (3.0 * a.getWidth() * a.getHeight());
    }
}
