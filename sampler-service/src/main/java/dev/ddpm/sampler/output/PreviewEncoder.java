package dev.ddpm.sampler.output;

import dev.ddpm.sampler.config.SamplerConfig;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that encode previews as PNG, so that the step batcher's thread only hands them over.
 * Bounded in threads and in tasks: each request has at most one task waiting (its stream drains
 * the newest preview of each image when it runs), and beyond the queue a preview is dropped, never
 * queued: previews are a courtesy, the result is what a request owes.
 */
@Singleton
public class PreviewEncoder {

    /** Threads' name prefix (thread dumps, and a test that previews are encoded here). */
    public static final String THREAD_PREFIX = "ddpm-preview-encoder-";

    private final ThreadPoolExecutor executor;

    public PreviewEncoder(SamplerConfig config) {
        int threads = config.previews().encoderThreads();
        if (threads < 1) {
            throw new IllegalArgumentException("sampler.previews.encoder-threads must be >= 1, was " + threads);
        }
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(
                threads,
                threads,
                30,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(Math.max(1, config.queue().maxRequests())),
                task -> {
                    Thread thread = new Thread(task, THREAD_PREFIX + n.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        executor.allowCoreThreadTimeOut(true);
    }

    /** Runs {@code task} on an encoder thread; false when the queue is full (the task is not run). */
    public boolean submit(Runnable task) {
        try {
            executor.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
