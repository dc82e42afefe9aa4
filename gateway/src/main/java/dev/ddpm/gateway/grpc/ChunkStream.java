package dev.ddpm.gateway.grpc;

import com.google.protobuf.ByteString;
import dev.ddpm.proto.gateway.v1.DatasetChunk;
import io.smallrye.mutiny.Multi;

import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.function.Consumer;

/**
 * The data of a client-streamed upload as an InputStream, read on a worker thread as the chunks
 * arrive: a few chunks are requested ahead, so gRPC flow control holds the rest at the client and
 * memory stays bounded whatever the upload's size.
 */
final class ChunkStream extends InputStream {

    /** Chunks held ahead of the reader: at most this many gRPC messages (4 MiB each) per upload. */
    private static final int CHUNKS_AHEAD = 2;

    private final Iterator<DatasetChunk> chunks;
    private final DatasetChunk first;
    private ByteString current;
    private int position;

    /**
     * Blocks until the first chunk (which names the upload) has arrived; null when there is none.
     *
     * @param awaitFirst runs the blocking wait for the first chunk, under whatever bound the caller puts on it
     */
    static ChunkStream open(Multi<DatasetChunk> upload, Consumer<Runnable> awaitFirst) {
        Iterator<DatasetChunk> chunks = upload.subscribe()
                .asIterable(CHUNKS_AHEAD, () -> new ArrayBlockingQueue<>(CHUNKS_AHEAD))
                .iterator();
        boolean[] any = new boolean[1];
        awaitFirst.accept(() -> any[0] = chunks.hasNext());
        return any[0] ? new ChunkStream(chunks.next(), chunks) : null;
    }

    private ChunkStream(DatasetChunk first, Iterator<DatasetChunk> chunks) {
        this.first = first;
        this.chunks = chunks;
        this.current = first.getData();
    }

    DatasetChunk first() {
        return first;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        try {
            while (position == current.size()) {
                if (!chunks.hasNext()) {
                    return -1;
                }
                current = chunks.next().getData();
                position = 0;
            }
        } catch (RuntimeException e) {
            throw new IOException("the upload stream failed: " + e.getMessage(), e);
        }
        int n = Math.min(len, current.size() - position);
        current.copyTo(b, position, off, n);
        position += n;
        return n;
    }
}
