package dev.ddpm.core.image;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * Model-space images ([-1, 1], channel-major C x H x W, 1 or 3 channels) to PNG: single images for
 * results, and grids for training previews and sample sheets. Values outside [-1, 1] are clipped,
 * then mapped with round((x + 1) * 127.5), the inverse of the training scaling.
 */
public final class ImageEncoding {

    static {
        // Encode in memory: ImageIO's default file cache registers a JVM shutdown hook per stream,
        // which throws once the process is shutting down, so results that a service finishes while it
        // drains could not be encoded; it would also need a writable temporary directory.
        ImageIO.setUseCache(false);
    }

    private ImageEncoding() {}

    public static int toByte(float value) {
        float clipped = Math.max(-1f, Math.min(1f, value));
        return Math.round((clipped + 1f) * 127.5f);
    }

    public static byte[] png(float[] image, int channels, int size) {
        return png(grid(List.of(image), channels, size, 1, 0));
    }

    /** The images tiled row by row, {@code columns} per row, separated by {@code padding} black pixels. */
    public static BufferedImage grid(List<float[]> images, int channels, int size, int columns, int padding) {
        return grid(
                images.size(),
                n -> images.get(n).length,
                (n, i) -> toByte(images.get(n)[i]),
                channels,
                size,
                columns,
                padding);
    }

    /**
     * The image as 8-bit values ({@link #toByte}), a quarter of its float size: what an encoder needs
     * of a frame it keeps until the end of a request.
     */
    public static byte[] quantise(float[] image) {
        byte[] pixels = new byte[image.length];
        for (int i = 0; i < image.length; i++) {
            pixels[i] = (byte) toByte(image[i]);
        }
        return pixels;
    }

    /** As {@link #grid(List, int, int, int, int)} for images already {@link #quantise quantised}. */
    public static BufferedImage gridOfQuantised(List<byte[]> images, int channels, int size, int columns, int padding) {
        return grid(
                images.size(),
                n -> images.get(n).length,
                (n, i) -> images.get(n)[i] & 0xFF,
                channels,
                size,
                columns,
                padding);
    }

    /** The 8-bit value of element {@code index} of image {@code image}. */
    private interface Pixels {
        int value(int image, int index);
    }

    private static BufferedImage grid(
            int count, IntUnaryOperator lengths, Pixels pixels, int channels, int size, int columns, int padding) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("images have 1 or 3 channels, not " + channels);
        }
        if (count == 0) {
            throw new IllegalArgumentException("a grid needs at least one image");
        }
        int cols = Math.min(columns, count);
        int rows = (count + cols - 1) / cols;
        int width = cols * size + (cols + 1) * padding;
        int height = rows * size + (rows + 1) * padding;
        BufferedImage grid = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int plane = size * size;
        for (int n = 0; n < count; n++) {
            int length = lengths.applyAsInt(n);
            if (length != channels * plane) {
                throw new IllegalArgumentException(
                        "image " + n + " has " + length + " values, expected " + channels * plane);
            }
            int left = padding + (n % cols) * (size + padding);
            int top = padding + (n / cols) * (size + padding);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int i = y * size + x;
                    int r = pixels.value(n, i);
                    int g = channels == 1 ? r : pixels.value(n, plane + i);
                    int b = channels == 1 ? r : pixels.value(n, 2 * plane + i);
                    grid.setRGB(left + x, top + y, (r << 16) | (g << 8) | b);
                }
            }
        }
        return grid;
    }

    public static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * An animated GIF that loops forever: the frames in order, {@code delayCentiseconds} each, the
     * last held {@code holdLastCentiseconds} (how the reference article shows the reverse process).
     */
    public static byte[] gif(List<BufferedImage> frames, int delayCentiseconds, int holdLastCentiseconds) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("an animation needs at least one frame");
        }
        javax.imageio.ImageWriter writer =
                ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.prepareWriteSequence(null);
            for (int i = 0; i < frames.size(); i++) {
                BufferedImage frame = frames.get(i);
                javax.imageio.ImageTypeSpecifier type = javax.imageio.ImageTypeSpecifier.createFromRenderedImage(frame);
                javax.imageio.metadata.IIOMetadata metadata = writer.getDefaultImageMetadata(type, null);
                String format = metadata.getNativeMetadataFormatName();
                javax.imageio.metadata.IIOMetadataNode root =
                        (javax.imageio.metadata.IIOMetadataNode) metadata.getAsTree(format);
                javax.imageio.metadata.IIOMetadataNode control = child(root, "GraphicControlExtension");
                control.setAttribute("disposalMethod", "none");
                control.setAttribute("userInputFlag", "FALSE");
                control.setAttribute("transparentColorFlag", "FALSE");
                control.setAttribute("transparentColorIndex", "0");
                control.setAttribute(
                        "delayTime",
                        Integer.toString(i == frames.size() - 1 ? holdLastCentiseconds : delayCentiseconds));
                if (i == 0) {
                    javax.imageio.metadata.IIOMetadataNode extensions = child(root, "ApplicationExtensions");
                    javax.imageio.metadata.IIOMetadataNode loop =
                            new javax.imageio.metadata.IIOMetadataNode("ApplicationExtension");
                    loop.setAttribute("applicationID", "NETSCAPE");
                    loop.setAttribute("authenticationCode", "2.0");
                    loop.setUserObject(new byte[] {1, 0, 0}); // sub-block 1: loop count 0 = forever
                    extensions.appendChild(loop);
                }
                metadata.setFromTree(format, root);
                writer.writeToSequence(new javax.imageio.IIOImage(frame, null, metadata), null);
            }
            writer.endWriteSequence();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static javax.imageio.metadata.IIOMetadataNode child(
            javax.imageio.metadata.IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
                return (javax.imageio.metadata.IIOMetadataNode) root.item(i);
            }
        }
        javax.imageio.metadata.IIOMetadataNode node = new javax.imageio.metadata.IIOMetadataNode(name);
        root.appendChild(node);
        return node;
    }
}
