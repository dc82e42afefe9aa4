package dev.ddpm.gateway.service;

import dev.ddpm.gateway.config.GatewayConfig;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Cuts off uploads that arrive too slowly: slower on average than {@code
 * gateway.uploads.min-bytes-per-second} once {@code gateway.uploads.rate-grace} of waiting has
 * passed, or longer than {@code gateway.uploads.max-duration} in all. Only the time spent waiting
 * for the client's bytes counts against the rate, never the time the gateway spends storing them.
 * A read blocked on a silent client cannot notice the clock itself, so one sweeper thread checks
 * every watched upload and interrupts the thread blocked in its read.
 */
@Singleton
public class UploadPacing {

    private static final long SWEEP_MS = 200;

    private final long minBytesPerSecond;
    private final long graceNanos;
    private final long maxNanos;
    private final Duration maxDuration;
    private final Set<Paced> watched = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "upload-pacing");
        thread.setDaemon(true);
        return thread;
    });

    public UploadPacing(GatewayConfig config) {
        GatewayConfig.Uploads uploads = config.uploads();
        if (uploads.minBytesPerSecond() < 0
                || uploads.rateGrace().isNegative()
                || uploads.maxDuration().isNegative()
                || uploads.maxDuration().isZero()) {
            throw new IllegalArgumentException("gateway.uploads.min-bytes-per-second and rate-grace must be >= 0 and"
                    + " max-duration > 0, were " + uploads.minBytesPerSecond() + ", " + uploads.rateGrace() + " and "
                    + uploads.maxDuration());
        }
        this.minBytesPerSecond = uploads.minBytesPerSecond();
        this.graceNanos = uploads.rateGrace().toNanos();
        this.maxDuration = uploads.maxDuration();
        this.maxNanos = maxDuration.toNanos();
        sweeper.scheduleWithFixedDelay(this::sweep, SWEEP_MS, SWEEP_MS, TimeUnit.MILLISECONDS);
    }

    /** The upload's bytes, watched until they end, fail or the stream is closed. */
    public Paced watch(InputStream upload) {
        Paced paced = new Paced(upload);
        watched.add(paced);
        return paced;
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Paced upload : watched) {
            upload.check(now);
        }
    }

    @PreDestroy
    void stop() {
        sweeper.shutdownNow();
    }

    /** An upload's bytes as they arrive; a read fails once the upload has been cut off. */
    public final class Paced extends FilterInputStream {

        private final long startedAt = System.nanoTime();
        private long bytes;
        private long waitedNanos;
        private long readingSince;
        private Thread reader;
        private String cutOff;

        private Paced(InputStream in) {
            super(in);
        }

        /** Why the upload was cut off: the detail of its 408; empty while it was not. */
        public synchronized Optional<String> cutOff() {
            return Optional.ofNullable(cutOff);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            synchronized (this) {
                if (cutOff != null) {
                    throw new IOException(cutOff);
                }
                reader = Thread.currentThread();
                readingSince = System.nanoTime();
            }
            int n = -1;
            try {
                n = super.read(b, off, len);
                return n;
            } catch (IOException | RuntimeException e) {
                synchronized (this) {
                    if (cutOff != null) {
                        throw new IOException(cutOff, e);
                    }
                }
                throw e;
            } finally {
                synchronized (this) {
                    reader = null;
                    waitedNanos += System.nanoTime() - readingSince;
                    if (n > 0) {
                        bytes += n;
                    }
                    if (cutOff != null) {
                        Thread.interrupted(); // the sweeper's interrupt must not outlive this read
                    }
                }
                if (n < 0) {
                    watched.remove(this);
                }
            }
        }

        /**
         * Stops watching. The source stays open: it is its server's to close, and closing a request's
         * stream would read (wait for) whatever the client has not sent yet.
         */
        @Override
        public void close() {
            watched.remove(this);
        }

        private synchronized void check(long now) {
            if (cutOff != null) {
                return;
            }
            long waited = waitedNanos + (reader == null ? 0 : now - readingSince);
            if (now - startedAt > maxNanos) {
                cutOff = "the upload took longer than " + maxDuration + " (gateway.uploads.max-duration) after " + bytes
                        + " bytes; nothing was stored";
            } else if (waited > graceNanos && bytes * 1_000_000_000.0 / waited < minBytesPerSecond) {
                cutOff = String.format(
                        "the upload arrived at %.0f bytes per second, below the least the gateway takes, %d"
                                + " (gateway.uploads.min-bytes-per-second); nothing was stored",
                        bytes * 1_000_000_000.0 / waited, minBytesPerSecond);
            } else {
                return;
            }
            watched.remove(this);
            if (reader != null) {
                reader.interrupt();
            }
        }
    }
}
