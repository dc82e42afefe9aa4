package dev.ddpm.trainer.data;

import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads a training data set into model space from a folder of images (PNG/JPEG, any size), a zip or
 * tar(.gz) of such a folder, MNIST-format IDX files (plain or gzip), or the CIFAR-10 binary format.
 * An image that cannot be decoded is skipped and counted; a data set with no usable image, or a file
 * in none of these formats, fails with a message naming the file.
 *
 * <p>What a data set may expand to is bounded ({@link Limits}): the bytes read after decompression,
 * the number of images, and the pixels of one image (read from its header before it is decoded), so
 * a zip, tar or gzip bomb or a giant PNG fails with a message instead of exhausting memory.
 *
 * <p>Where the data set names the class of every image, the set carries them ({@link Labels}): an
 * IDX image file's label file beside it ({@code train-labels-idx1-ubyte} for
 * {@code train-images-idx3-ubyte}), CIFAR-10's label byte, an emoji's category, or the sub-folder
 * each image sits in (as torchvision's ImageFolder names classes). An emoji sheet ({@link EmojiSheet}) is read from
 * a folder or from an archive holding its two files.
 */
public final class DatasetReader {

    private static final int IDX_IMAGES_MAGIC = 0x00000803;
    private static final int CIFAR_RECORD = 1 + 3 * 32 * 32;

    /**
     * @param maxBytes  bytes read in all, after decompression
     * @param maxImages images in the data set
     * @param maxPixels width x height of one image
     */
    public record Limits(long maxBytes, int maxImages, long maxPixels) {
        /** 2 GiB, 200,000 images, 16 megapixels (docs/api.md, "Limits"). */
        public static final Limits DEFAULT = new Limits(2L << 30, 200_000, 1L << 24);
    }

    private final int channels;
    private final int size;
    private final Limits limits;

    /** @param channels 1 or 3; @param size height = width of the model's images */
    public DatasetReader(int channels, int size) {
        this(channels, size, Limits.DEFAULT);
    }

    public DatasetReader(int channels, int size, Limits limits) {
        this.limits = limits;
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("images have 1 or 3 channels, not " + channels);
        }
        this.channels = channels;
        this.size = size;
    }

    /** A folder, an archive, an IDX file or a CIFAR batch, by its name and content. */
    public InMemoryImageSet read(Path path) {
        if (Files.isDirectory(path)) {
            return readFolder(path);
        }
        if (!Files.isRegularFile(path)) {
            throw new DatasetException("data set " + path + " does not exist");
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            return read(path.getFileName().toString(), in);
        } catch (IOException e) {
            throw new DatasetException("cannot read data set " + path + ": " + e.getMessage(), e);
        }
    }

    /** The same from a stream (an object of the datasets bucket); {@code name} decides the format. */
    public InMemoryImageSet read(String name, InputStream in) throws IOException {
        String lower = name.toLowerCase(Locale.ROOT);
        Collector collector = new Collector(name);
        if (isArchive(lower)) {
            readArchive(archiveStream(lower, in), collector);
        } else if (lower.endsWith(".bin")) {
            readCifar(name, collector.read(name, in), collector);
        } else if (isImage(lower)) {
            collector.image(name, collector.read(name, in), null);
        } else {
            readIdx(name, collector.read(name, in), collector, null);
        }
        return collector.result();
    }

    private InMemoryImageSet readFolder(Path folder) {
        Collector collector = new Collector(folder.toString());
        if (EmojiSheet.describes(folder)) {
            collector.addAll(EmojiSheet.read(folder, channels, size, limits.maxImages()));
            return collector.result();
        }
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
                String name = folder.relativize(file).toString();
                if (isImage(lower)) {
                    collector.image(name, collector.read(name, file), folderLabel(name));
                } else if (isArchive(lower)) {
                    readArchive(archiveStream(lower, new BufferedInputStream(Files.newInputStream(file))), collector);
                } else if (lower.endsWith(".bin")) {
                    readCifar(name, collector.read(name, file), collector);
                } else if (isIdxImages(file)) {
                    readIdx(name, collector.read(name, file), collector, idxLabels(file));
                }
                // anything else (labels, README, checksums) is not image data and is left alone
            }
        } catch (IOException e) {
            throw new DatasetException("cannot read data set folder " + folder + ": " + e.getMessage(), e);
        }
        return collector.result();
    }

    private void readArchive(ArchiveInputStream<? extends ArchiveEntry> archive, Collector collector)
            throws IOException {
        byte[] emojiIndex = null;
        byte[] emojiSheet = null;
        String sheetName = null;
        try (archive) {
            for (ArchiveEntry entry; (entry = archive.getNextEntry()) != null; ) {
                String lower = entry.getName().toLowerCase(Locale.ROOT);
                if (entry.isDirectory() || lower.contains("__macosx/")) {
                    continue;
                }
                String file = lower.substring(lower.lastIndexOf('/') + 1);
                if (file.equals(EmojiSheet.INDEX)) {
                    emojiIndex = collector.read(entry.getName(), archive);
                } else if (file.equals(EmojiSheet.SHEET)) {
                    sheetName = entry.getName();
                    emojiSheet = collector.read(sheetName, archive);
                } else if (isImage(lower)) {
                    collector.image(
                            entry.getName(), collector.read(entry.getName(), archive), folderLabel(entry.getName()));
                }
            }
        } catch (IOException e) {
            throw new DatasetException(collector.source + " is not a readable archive: " + e.getMessage(), e);
        }
        if (emojiSheet != null && emojiIndex != null) {
            collector.addAll(
                    EmojiSheet.read(collector.source, emojiIndex, emojiSheet, channels, size, limits.maxImages()));
        } else if (emojiSheet != null) {
            collector.image(sheetName, emojiSheet, folderLabel(sheetName));
        }
    }

    /** The folder an image sits in, as its class; null for an image at the top. */
    private static String folderLabel(String relativeName) {
        String name = relativeName.replace('\\', '/');
        int slash = name.lastIndexOf('/');
        if (slash <= 0) {
            return null;
        }
        String parent = name.substring(0, slash);
        return parent.substring(parent.lastIndexOf('/') + 1);
    }

    /** The labels of an IDX image file from the label file beside it, or null when there is none. */
    private static int[] idxLabels(Path images) {
        String name = images.getFileName().toString();
        if (!name.contains("images-idx3")) {
            return null;
        }
        Path labels = images.resolveSibling(name.replace("images-idx3", "labels-idx1"));
        return Files.isRegularFile(labels) ? IdxLabels.read(labels) : null;
    }

    private void readIdx(String name, byte[] bytes, Collector collector, int[] labels) throws IOException {
        if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0x1F && (bytes[1] & 0xFF) == 0x8B) {
            try (InputStream gz = new GzipCompressorInputStream(new ByteArrayInputStream(bytes))) {
                bytes = collector.read(name, gz);
            }
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        if (bytes.length < 16 || in.readInt() != IDX_IMAGES_MAGIC) {
            throw new DatasetException(
                    name + " is neither an image, an archive (.zip, .tar, .tar.gz), a CIFAR batch (.bin)"
                            + " nor an IDX image file (magic 0x00000803)");
        }
        int count = in.readInt();
        int rows = in.readInt();
        int cols = in.readInt();
        long expected = 16L + (long) count * rows * cols;
        if (count > limits.maxImages()) {
            throw new DatasetException(
                    name + ": IDX header promises " + count + " images, more than the limit of " + limits.maxImages());
        }
        if (count < 0 || rows <= 0 || cols <= 0 || bytes.length < expected) {
            throw new DatasetException(name + ": IDX header promises " + count + " images of " + rows + "x" + cols
                    + " (" + expected + " bytes) but the file has " + bytes.length);
        }
        if (labels != null && labels.length != count) {
            throw new DatasetException(
                    name + " holds " + count + " images but its label file " + labels.length + " labels");
        }
        for (int i = 0; i < count; i++) {
            float[] gray = Pixels.fromGray(bytes, 16 + i * rows * cols, rows, cols, size);
            collector.add(channels == 1 ? gray : toRgb(gray), labels == null ? null : Integer.toString(labels[i]));
        }
    }

    private void readCifar(String name, byte[] bytes, Collector collector) {
        if (bytes.length == 0 || bytes.length % CIFAR_RECORD != 0) {
            throw new DatasetException(name + " is not a CIFAR-10 binary batch: " + bytes.length
                    + " bytes is not a multiple of the " + CIFAR_RECORD + "-byte record");
        }
        int plane = 32 * 32;
        for (int offset = 0; offset < bytes.length; offset += CIFAR_RECORD) {
            BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
            int base = offset + 1; // after the label byte
            for (int i = 0; i < plane; i++) {
                int r = bytes[base + i] & 0xFF;
                int g = bytes[base + plane + i] & 0xFF;
                int b = bytes[base + 2 * plane + i] & 0xFF;
                image.setRGB(i % 32, i / 32, (r << 16) | (g << 8) | b);
            }
            collector.add(Pixels.fromImage(image, channels, size), Integer.toString(bytes[offset] & 0xFF));
        }
    }

    private static float[] toRgb(float[] gray) {
        float[] rgb = new float[gray.length * 3];
        for (int c = 0; c < 3; c++) {
            System.arraycopy(gray, 0, rgb, c * gray.length, gray.length);
        }
        return rgb;
    }

    private static boolean isArchive(String lowerName) {
        return lowerName.endsWith(".zip")
                || lowerName.endsWith(".tar")
                || lowerName.endsWith(".tar.gz")
                || lowerName.endsWith(".tgz");
    }

    private static ArchiveInputStream<? extends ArchiveEntry> archiveStream(String lowerName, InputStream in)
            throws IOException {
        if (lowerName.endsWith(".zip")) {
            return new ZipArchiveInputStream(in);
        }
        if (lowerName.endsWith(".tar")) {
            return new TarArchiveInputStream(in);
        }
        return new TarArchiveInputStream(new GzipCompressorInputStream(in));
    }

    /** IDX image files, plain or gzip, by their magic number (label files, 0x00000801, are not images). */
    private static boolean isIdxImages(Path file) throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(4);
        }
        if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0x1F && (bytes[1] & 0xFF) == 0x8B) {
            try (InputStream gz = new GzipCompressorInputStream(Files.newInputStream(file))) {
                bytes = gz.readNBytes(4);
            }
        }
        return bytes.length >= 4 && new DataInputStream(new ByteArrayInputStream(bytes)).readInt() == IDX_IMAGES_MAGIC;
    }

    private static boolean isImage(String lowerName) {
        return lowerName.endsWith(".png") || lowerName.endsWith(".jpg") || lowerName.endsWith(".jpeg");
    }

    /** Gathers decoded images and the names of those that could not be decoded. */
    private final class Collector {
        private final String source;
        private final List<float[]> images = new ArrayList<>();
        private final List<String> labels = new ArrayList<>();
        private final List<String> skipped = new ArrayList<>();
        private long bytesRead;

        Collector(String source) {
            this.source = source;
        }

        /** All of {@code in}, counted against the data set's byte limit. */
        byte[] read(String name, InputStream in) throws IOException {
            long left = limits.maxBytes() - bytesRead;
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, left + 1));
            bytesRead += bytes.length;
            if (bytes.length > left) {
                throw new DatasetException("data set " + source + " expands past the limit of " + limits.maxBytes()
                        + " bytes (decompressed) at " + name);
            }
            return bytes;
        }

        byte[] read(String name, Path file) throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                return read(name, in);
            }
        }

        /** @param label the image's class, or null where the data set names none */
        void add(float[] image, String label) {
            if (images.size() >= limits.maxImages()) {
                throw new DatasetException(
                        "data set " + source + " has more than the limit of " + limits.maxImages() + " images");
            }
            images.add(image);
            labels.add(label);
        }

        void addAll(EmojiSheet.Labelled emoji) {
            for (int i = 0; i < emoji.images().size(); i++) {
                add(emoji.images().get(i), emoji.categories().get(emoji.labels()[i]));
            }
        }

        /** Decodes one PNG/JPEG after checking its size in its header; one that cannot be read is skipped. */
        void image(String name, byte[] bytes, String label) {
            try (ImageInputStream input = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
                Iterator<ImageReader> readers = ImageIO.getImageReaders(input);
                if (!readers.hasNext()) {
                    skipped.add(name + " (not a decodable PNG or JPEG)");
                    return;
                }
                ImageReader reader = readers.next();
                try {
                    reader.setInput(input, true, true);
                    long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                    if (pixels > limits.maxPixels()) {
                        skipped.add(name + " (" + reader.getWidth(0) + "x" + reader.getHeight(0)
                                + " pixels, above the limit of " + limits.maxPixels() + ")");
                        return;
                    }
                    add(Pixels.fromImage(reader.read(0), channels, size), label);
                } finally {
                    reader.dispose();
                }
            } catch (IOException | RuntimeException e) {
                if (e instanceof DatasetException limit) {
                    throw limit;
                }
                skipped.add(name + " (" + e.getMessage() + ")");
            }
        }

        InMemoryImageSet result() {
            if (images.isEmpty()) {
                throw new DatasetException("data set " + source + " has no usable image"
                        + (skipped.isEmpty()
                                ? ""
                                : "; skipped " + skipped.size() + ": "
                                        + String.join(", ", skipped.subList(0, Math.min(5, skipped.size())))));
            }
            return new InMemoryImageSet(channels, size, images, skipped, labels());
        }

        /** Labels when every image has one and there are at least two classes; null otherwise. */
        private Labels labels() {
            if (labels.contains(null)) {
                return null;
            }
            List<String> classes = labels.stream().distinct().sorted().toList();
            if (classes.size() < 2) {
                return null;
            }
            Map<String, Integer> index = new HashMap<>();
            for (int i = 0; i < classes.size(); i++) {
                index.put(classes.get(i), i);
            }
            return new Labels(labels.stream().mapToInt(index::get).toArray(), classes);
        }
    }
}
