package dev.ddpm.trainer.data;

import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** MNIST-format label files (IDX, magic 0x00000801), plain or gzip. */
public final class IdxLabels {

    private IdxLabels() {}

    public static int[] read(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = b0 == 0x1F && b1 == 0x8B ? new GzipCompressorInputStream(raw) : raw;
            DataInputStream data = new DataInputStream(in);
            if (data.readInt() != 0x00000801) {
                throw new DatasetException(file + " is not an IDX label file (magic 0x00000801)");
            }
            int count = data.readInt();
            byte[] bytes = data.readNBytes(count);
            if (bytes.length != count) {
                throw new DatasetException(file + ": header promises " + count + " labels, file has " + bytes.length);
            }
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = bytes[i] & 0xFF;
            }
            return labels;
        } catch (IOException e) {
            throw new DatasetException("cannot read labels " + file + ": " + e.getMessage(), e);
        }
    }
}
