package dev.ddpm.trainer.data;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Every supported format, written by the test itself, plus the bad cases. */
class DatasetReaderTest {

    @TempDir
    Path dir;

    @Test
    void folderOfImagesIsResizedAndCorruptOnesAreSkippedAndCounted() throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        Files.write(dir.resolve("red.png"), png(64, 48, 0xFF0000));
        Files.write(dir.resolve("sub/blue.jpg"), jpeg(20, 20, 0x0000FF));
        Files.write(dir.resolve("broken.png"), new byte[] {1, 2, 3, 4});
        Files.writeString(dir.resolve("notes.txt"), "ignored");

        InMemoryImageSet set = new DatasetReader(3, 16).read(dir);

        assertThat(set.size()).isEqualTo(2);
        assertThat(set.skipped()).singleElement().asString().startsWith("broken.png");
        float[] red = set.image(0);
        assertThat(red).hasSize(3 * 16 * 16);
        assertThat(red[0]).isCloseTo(1f, within(0.01f)); // R plane
        assertThat(red[16 * 16]).isCloseTo(-1f, within(0.01f)); // G plane
        float[] blue = set.image(1);
        assertThat(blue[2 * 16 * 16 + 100]).isCloseTo(1f, within(0.05f)); // JPEG is lossy
        // One image at the top, one in a folder: not every image has a class, so the set has none.
        assertThat(set.labels()).isEmpty();
    }

    @Test
    void imagesInOneFolderPerClassAreLabelledByTheFolderAlsoInAnArchive() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("flowers"));
        for (String name : new String[] {"rose/1.png", "daisy/1.png", "rose/2.png", "tulip/a.jpg"}) {
            Files.createDirectories(folder.resolve(name).getParent());
            Files.write(folder.resolve(name), name.endsWith(".jpg") ? jpeg(8, 8, 0xFF00FF) : png(8, 8, 0x00FF00));
        }
        InMemoryImageSet set = new DatasetReader(3, 8).read(folder);
        Labels labels = set.labels().orElseThrow();
        assertThat(labels.classes()).containsExactly("daisy", "rose", "tulip");
        // Files are read in sorted order: daisy/1, rose/1, rose/2, tulip/a.
        assertThat(labels.ofImage()).containsExactly(0, 1, 1, 2);

        Path zip = dir.resolve("flowers.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            for (String name : new String[] {"flowers/rose/1.png", "flowers/daisy/1.png"}) {
                out.putNextEntry(new ZipEntry(name));
                out.write(png(8, 8, 0x00FF00));
            }
        }
        assertThat(new DatasetReader(3, 8).read(zip).labels().orElseThrow().ofImage())
                .containsExactly(1, 0);
    }

    @Test
    void grayscaleUsesLuminance() throws IOException {
        Files.write(dir.resolve("white.png"), png(8, 8, 0xFFFFFF));
        assertThat(new DatasetReader(1, 8).read(dir).image(0)[0]).isCloseTo(1f, within(0.01f));
    }

    @Test
    void zipAndTarGzOfAFolderAreRead() throws IOException {
        Path zip = dir.resolve("set.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new ZipEntry("images/a.png"));
            out.write(png(10, 10, 0x00FF00));
            out.putNextEntry(new ZipEntry("images/bad.png"));
            out.write(new byte[] {9, 9});
        }
        InMemoryImageSet fromZip = new DatasetReader(3, 8).read(zip);
        assertThat(fromZip.size()).isEqualTo(1);
        assertThat(fromZip.skipped()).hasSize(1);

        Path tar = dir.resolve("set.tar.gz");
        try (TarArchiveOutputStream out =
                new TarArchiveOutputStream(new GzipCompressorOutputStream(Files.newOutputStream(tar)))) {
            for (String name : new String[] {"x/1.png", "x/2.png"}) {
                byte[] data = png(10, 10, 0x123456);
                TarArchiveEntry entry = new TarArchiveEntry(name);
                entry.setSize(data.length);
                out.putArchiveEntry(entry);
                out.write(data);
                out.closeArchiveEntry();
            }
        }
        assertThat(new DatasetReader(3, 8).read(tar).size()).isEqualTo(2);
    }

    @Test
    void idxImagesArePaddedIntoTheModelSizePlainOrGzipped() throws IOException {
        byte[] idx = idx(3, 28, 28);
        Files.write(dir.resolve("train-images-idx3-ubyte"), idx);
        try (OutputStream out =
                new GZIPOutputStream(Files.newOutputStream(dir.resolve("train-images-idx3-ubyte.gz")))) {
            out.write(idx);
        }
        for (String name : new String[] {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"}) {
            InMemoryImageSet set = new DatasetReader(1, 32).read(dir.resolve(name));
            assertThat(set.size()).isEqualTo(3);
            float[] first = set.image(0);
            assertThat(first[0]).isEqualTo(-1f); // padding is black
            assertThat(first[2 * 32 + 2]).isCloseTo(-1f, within(1e-6f)); // pixel (0,0) of image 0 = 0
            assertThat(first[2 * 32 + 3]).isCloseTo(1 / 127.5f - 1, within(1e-6f)); // pixel (0,1) = 1
        }
    }

    @Test
    void modelImagesAreCentredOnALargerBlackCanvasLikePaddedDigits() throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte"), idx(2, 28, 28));
        float[] native28 = new DatasetReader(1, 28).read(dir).image(1);
        float[] padded32 = new DatasetReader(1, 32).read(dir).image(1);
        // A 28x28 model's sample meets the 32x32 classifier exactly as the reader pads a real digit.
        assertThat(Pixels.centred(native28, 28, 32)).containsExactly(padded32);
        assertThat(Pixels.centred(padded32, 32, 32)).containsExactly(padded32);
        assertThatThrownBy(() -> Pixels.centred(new float[10], 28, 32))
                .hasMessage("cannot centre a 10-value image as 28x28 on 32x32");
        assertThatThrownBy(() -> Pixels.centred(padded32, 32, 28))
                .hasMessage("cannot centre a 1024-value image as 32x32 on 28x28");
    }

    @Test
    void aFolderMayHoldIdxFilesBesideTheirLabels() throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte"), idx(2, 28, 28));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 2, 7, 3});
        Files.writeString(dir.resolve("README"), "MNIST");
        InMemoryImageSet set = new DatasetReader(1, 32).read(dir);
        assertThat(set.size()).isEqualTo(2);
        // The label file beside the images names their digits (7 and 3).
        assertThat(set.labels().orElseThrow().classes()).containsExactly("3", "7");
        assertThat(set.labels().orElseThrow().ofImage()).containsExactly(1, 0);

        Files.write(dir.resolve("train-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 1, 7});
        assertThatThrownBy(() -> new DatasetReader(1, 32).read(dir))
                .isInstanceOf(DatasetException.class)
                .hasMessage("train-images-idx3-ubyte holds 2 images but its label file 1 labels");
    }

    @Test
    void cifarBinaryBatchIsRead() throws IOException {
        byte[] batch = new byte[2 * 3073];
        batch[0] = 3; // label
        Arrays.fill(batch, 1, 1 + 1024, (byte) 255); // red plane of record 0
        Files.write(dir.resolve("data_batch_1.bin"), batch);

        InMemoryImageSet set = new DatasetReader(3, 32).read(dir.resolve("data_batch_1.bin"));

        assertThat(set.size()).isEqualTo(2);
        assertThat(set.image(0)[0]).isCloseTo(1f, within(1e-6f));
        assertThat(set.image(0)[1024]).isCloseTo(-1f, within(1e-6f));
        // Each record's first byte is its class.
        assertThat(set.labels().orElseThrow().classes()).containsExactly("0", "3");
        assertThat(set.labels().orElseThrow().ofImage()).containsExactly(1, 0);
    }

    @Test
    void emptyOrWrongFormatDataSetsFailNamingTheFile() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> new DatasetReader(1, 8).read(empty))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining(empty + " has no usable image");

        Path onlyBroken = Files.createDirectories(dir.resolve("broken"));
        Files.write(onlyBroken.resolve("x.png"), new byte[] {0});
        assertThatThrownBy(() -> new DatasetReader(1, 8).read(onlyBroken)).hasMessageContaining("skipped 1: x.png");

        Path text = Files.writeString(dir.resolve("labels.csv"), "a,b,c\n1,2,3\n4,5,6\n7,8,9\n");
        assertThatThrownBy(() -> new DatasetReader(1, 8).read(text))
                .hasMessageContaining("labels.csv is neither an image");

        Path truncated = Files.write(dir.resolve("t10k-images-idx3-ubyte"), Arrays.copyOf(idx(5, 28, 28), 500));
        assertThatThrownBy(() -> new DatasetReader(1, 32).read(truncated))
                .hasMessageContaining("t10k-images-idx3-ubyte: IDX header promises 5 images of 28x28");

        Path badCifar = Files.write(dir.resolve("data_batch_2.bin"), new byte[100]);
        assertThatThrownBy(() -> new DatasetReader(3, 32).read(badCifar))
                .hasMessageContaining("data_batch_2.bin is not a CIFAR-10 binary batch");

        assertThatThrownBy(() -> new DatasetReader(1, 8).read(dir.resolve("missing")))
                .hasMessageContaining("does not exist");
    }

    /** Small files that expand past the limits: a gzip'd IDX, a zip entry, too many images, a giant PNG header. */
    @Test
    void bombsAndGiantImagesAreRefusedWithTheLimitTheyBroke() throws IOException {
        DatasetReader.Limits limits = new DatasetReader.Limits(16L << 20, 2, 1L << 20);
        byte[] gz = Bombs.gzippedIdx();
        assertThat(gz.length).isLessThan(1 << 20);
        Files.write(dir.resolve("bomb-idx3-ubyte.gz"), gz);
        assertThatThrownBy(() -> new DatasetReader(1, 8, limits).read(dir.resolve("bomb-idx3-ubyte.gz")))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining("expands past the limit of 16777216 bytes");

        Path zip = dir.resolve("bomb.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new ZipEntry("huge.png"));
            out.write(new byte[64 << 20]);
            out.closeEntry();
        }
        assertThat(Files.size(zip)).isLessThan(1 << 20);
        assertThatThrownBy(() -> new DatasetReader(1, 8, limits).read(zip))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining("expands past the limit");

        Path many = Files.createDirectories(dir.resolve("many"));
        for (int i = 0; i < 3; i++) {
            Files.write(many.resolve(i + ".png"), png(4, 4, 0x808080));
        }
        assertThatThrownBy(() -> new DatasetReader(1, 8, limits).read(many))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining("more than the limit of 2 images");

        // A PNG whose header says 30000 x 30000: refused from the header, never decoded.
        Path giant = Files.createDirectories(dir.resolve("giant"));
        Files.write(giant.resolve("giant.png"), pngHeader(30_000, 30_000));
        Files.write(giant.resolve("small.png"), png(4, 4, 0x808080));
        InMemoryImageSet set = new DatasetReader(1, 8, limits).read(giant);
        assertThat(set.size()).isEqualTo(1);
        assertThat(set.skipped()).singleElement().asString().contains("30000x30000 pixels, above the limit of 1048576");
    }

    /** A PNG signature, an IHDR chunk with these dimensions, and IEND: no pixel data at all. */
    private static byte[] pngHeader(int width, int height) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream header = new DataOutputStream(ihdr);
        header.writeBytes("IHDR");
        header.writeInt(width);
        header.writeInt(height);
        header.write(new byte[] {8, 0, 0, 0, 0});
        chunk(out, ihdr.toByteArray());
        chunk(out, "IEND".getBytes(StandardCharsets.US_ASCII));
        return bytes.toByteArray();
    }

    private static void chunk(DataOutputStream out, byte[] typeAndData) throws IOException {
        out.writeInt(typeAndData.length - 4);
        out.write(typeAndData);
        CRC32 crc = new CRC32();
        crc.update(typeAndData);
        out.writeInt((int) crc.getValue());
    }

    private static byte[] idx(int count, int rows, int cols) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(0x00000803);
            out.writeInt(count);
            out.writeInt(rows);
            out.writeInt(cols);
            for (int i = 0; i < count * rows * cols; i++) {
                out.writeByte(i % (rows * cols) % 256);
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] png(int w, int h, int rgb) throws IOException {
        return encode(w, h, rgb, "png");
    }

    private static byte[] jpeg(int w, int h, int rgb) throws IOException {
        return encode(w, h, rgb, "jpeg");
    }

    private static byte[] encode(int w, int h, int rgb, String format) throws IOException {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.setRGB(x, y, rgb);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, format, out);
        return out.toByteArray();
    }
}
