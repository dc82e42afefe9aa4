package dev.ddpm.trainer.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named float tensors in one self-describing binary blob (the checkpoint's weights, EMA weights and
 * optimizer moments): magic {@code DDPMTNSR}, format version, tensor count, then per tensor its
 * name, rank, dimensions and big-endian float32 values. Independent of DJL's own .params format,
 * so a checkpoint can be read without building the model first.
 */
public final class TensorArchive {

    private static final long MAGIC = 0x4444504D544E5352L; // "DDPMTNSR"
    private static final int VERSION = 1;

    /** A tensor: its shape and its values in row-major order. */
    public record Tensor(long[] shape, float[] values) {
        public Tensor {
            long expected = 1;
            for (long d : shape) {
                expected *= d;
            }
            if (expected != values.length) {
                throw new IllegalArgumentException("shape holds " + expected + " values, got " + values.length);
            }
        }
    }

    private TensorArchive() {}

    public static byte[] write(Map<String, Tensor> tensors) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(tensors.size());
            for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
                out.writeUTF(entry.getKey());
                long[] shape = entry.getValue().shape();
                out.writeInt(shape.length);
                for (long d : shape) {
                    out.writeLong(d);
                }
                for (float v : entry.getValue().values()) {
                    out.writeFloat(v);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws CorruptCheckpointException when the bytes are not a complete archive */
    public static Map<String, Tensor> read(byte[] data, String what) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            if (in.readLong() != MAGIC) {
                throw new CorruptCheckpointException(what + " is not a tensor archive (bad magic)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new CorruptCheckpointException(
                        what + " has tensor archive version " + version + ", this build reads " + VERSION);
            }
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                int rank = in.readInt();
                if (rank < 0 || rank > 8) {
                    throw new CorruptCheckpointException(what + ": tensor " + name + " has rank " + rank);
                }
                long[] shape = new long[rank];
                long size = 1;
                for (int d = 0; d < rank; d++) {
                    shape[d] = in.readLong();
                    size *= shape[d];
                }
                if (size < 0 || size > in.available() / 4) {
                    throw new CorruptCheckpointException(what + ": tensor " + name + " claims " + size + " values, "
                            + in.available() / 4 + " remain");
                }
                float[] values = new float[(int) size];
                for (int v = 0; v < values.length; v++) {
                    values[v] = in.readFloat();
                }
                tensors.put(name, new Tensor(shape, values));
            }
            if (in.available() > 0) {
                throw new CorruptCheckpointException(what + ": " + in.available() + " unexpected trailing bytes");
            }
        } catch (IOException e) {
            throw new CorruptCheckpointException(what + " is truncated: " + e.getMessage());
        }
        return tensors;
    }
}
