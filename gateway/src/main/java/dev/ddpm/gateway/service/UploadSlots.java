package dev.ddpm.gateway.service;

import dev.ddpm.gateway.config.GatewayConfig;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where data set uploads run: at most {@code gateway.uploads.max-concurrent} at once over all keys
 * and {@code gateway.uploads.max-concurrent-per-key} per key, each on a thread of the uploads' own
 * pool, so that clients sending slowly hold neither the HTTP worker pool nor the memory of more
 * than that many S3 parts. An upload beyond a bound is refused at once (429), before a byte is read.
 */
@Singleton
@Startup
public class UploadSlots {

    private static final Logger LOG = Logger.getLogger(UploadSlots.class);
    /** An upload's slot is usually held for seconds; a client told to retry waits about that long. */
    private static final long RETRY_AFTER_SECONDS = 5;

    private final int maxConcurrent;
    private final int maxPerKey;
    private final AtomicInteger running = new AtomicInteger();
    private final ConcurrentMap<String, AtomicInteger> perKey = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor pool;

    public UploadSlots(GatewayConfig config) {
        this.maxConcurrent = config.uploads().maxConcurrent();
        this.maxPerKey = config.uploads().maxConcurrentPerKey();
        if (maxConcurrent < 1 || maxPerKey < 1) {
            throw new IllegalArgumentException(
                    "gateway.uploads.max-concurrent and max-concurrent-per-key must be >= 1, were " + maxConcurrent
                            + " and " + maxPerKey);
        }
        AtomicInteger threads = new AtomicInteger();
        // A slot is given back as its upload ends, a moment before its thread is free again: the
        // queue holds the uploads admitted in that moment rather than refusing them.
        this.pool = new ThreadPoolExecutor(
                maxConcurrent, maxConcurrent, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(maxConcurrent), r -> {
                    Thread thread = new Thread(r, "upload-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        pool.allowCoreThreadTimeOut(true);
        LOG.infof(
                "uploads: %d at once (%d per key), S3 part buffers at most %d MiB",
                maxConcurrent,
                maxPerKey,
                maxConcurrent * (dev.ddpm.core.storage.ArtifactStore.STREAM_PART_BYTES >> 20));
    }

    /** One admitted upload's place; closing it (once, by whoever comes first) gives the place back. */
    public final class Slot implements AutoCloseable {
        private final AtomicInteger keyCount;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Slot(AtomicInteger keyCount) {
            this.keyCount = keyCount;
        }

        /** The uploads' own threads, where this upload is read and stored. */
        public Executor executor() {
            return command -> {
                try {
                    pool.execute(command);
                } catch (RejectedExecutionException e) {
                    close();
                    throw busy("the gateway's upload threads are all busy");
                }
            };
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                keyCount.decrementAndGet();
                running.decrementAndGet();
            }
        }
    }

    /**
     * Takes a place for one upload of this key.
     *
     * @throws GatewayException 429 with Retry-After when the key or the gateway runs its most uploads
     */
    public Slot admit(String keyId) {
        AtomicInteger count = perKey.computeIfAbsent(keyId, k -> new AtomicInteger());
        if (count.incrementAndGet() > maxPerKey) {
            count.decrementAndGet();
            throw busy("API key '" + keyId + "' runs " + maxPerKey
                    + " uploads at once, its most (gateway.uploads.max-concurrent-per-key); retry when one has ended");
        }
        if (running.incrementAndGet() > maxConcurrent) {
            running.decrementAndGet();
            count.decrementAndGet();
            throw busy("the gateway runs " + maxConcurrent
                    + " uploads at once, its most (gateway.uploads.max-concurrent); retry shortly");
        }
        return new Slot(count);
    }

    /** Uploads running now, over all keys. */
    public int running() {
        return running.get();
    }

    private static GatewayException busy(String detail) {
        return GatewayException.tooMany("too many uploads", detail, RETRY_AFTER_SECONDS);
    }

    @PreDestroy
    void stop() {
        pool.shutdownNow();
    }
}
