package dev.ddpm.trainer.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPOutputStream;

/** Small files that expand past the data set limits, generated (nothing shipped or fetched). */
public final class Bombs {

    private Bombs() {}

    /** A valid IDX header for one 8192 x 8192 image and its 64 MB of zero pixels, gzip'd to about 64 KB. */
    public static byte[] gzippedIdx() {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(gz))) {
            out.writeInt(0x00000803);
            out.writeInt(1);
            out.writeInt(8192);
            out.writeInt(8192);
            out.write(new byte[64 << 20]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return gz.toByteArray();
    }
}
