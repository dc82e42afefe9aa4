package dev.ddpm.sampler.registry;

import dev.ddpm.sampler.config.SamplerConfig;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which loads of pinned versions may start: no more than {@code sampler.sessions.max-open} ONNX
 * Runtime sessions open at once beyond the versions served by default, and no more than {@code sampler.sessions.loads-per-caller-per-minute}
 * loads started by one caller in any minute (a sliding window). A load reads the graph from S3 and
 * builds a session, seconds of CPU and the graph's size in memory: a caller that pins a new version
 * with every request would otherwise keep the sampler loading. Refusing beats waiting for a lease to
 * end: a lease lasts as long as its request (minutes), and a waiting call would hold a thread.
 */
final class ModelLoads {

    /** Who a call without a {@code ddpm-caller} is counted as: all such calls together. */
    static final String ANONYMOUS = "";

    /** Longest caller identity kept; a longer one counts under its prefix. */
    static final int MAX_CALLER_LENGTH = 128;

    /** Callers remembered; the one whose loads are oldest is forgotten beyond this. */
    static final int MAX_CALLERS = 10_000;

    private static final Duration WINDOW = Duration.ofMinutes(1);

    private final int maxOpen;
    private final int perMinute;
    private final Duration retryAfter;
    /** Per caller, the times (System.nanoTime) of its loads in the last minute; guarded by itself. */
    private final LinkedHashMap<String, Deque<Long>> recent = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<Long>> eldest) {
            return size() > MAX_CALLERS;
        }
    };

    ModelLoads(SamplerConfig config) {
        this.maxOpen = config.sessions().maxOpen();
        this.perMinute = config.sessions().loadsPerCallerPerMinute();
        this.retryAfter = config.retryAfter();
        if (maxOpen < 1 || perMinute < 0) {
            throw new IllegalArgumentException("sampler.sessions.max-open must be >= 1 and"
                    + " sampler.sessions.loads-per-caller-per-minute >= 0, were " + maxOpen + " and " + perMinute);
        }
    }

    int maxOpen() {
        return maxOpen;
    }

    /** The identity a call is counted under: its {@code ddpm-caller}, or {@link #ANONYMOUS}. */
    static String caller(String header) {
        if (header == null || header.isBlank()) {
            return ANONYMOUS;
        }
        String trimmed = header.strip();
        return trimmed.length() > MAX_CALLER_LENGTH ? trimmed.substring(0, MAX_CALLER_LENGTH) : trimmed;
    }

    /**
     * Counts a load of {@code key} ({@code name/version}) that {@code caller} starts now.
     *
     * @param open sessions open or being opened now beyond the versions served by default
     * @throws ModelLoadRefusedException beyond either bound (nothing counted then)
     */
    void start(String caller, String key, int open) {
        if (open >= maxOpen) {
            throw new ModelLoadRefusedException(
                    "version " + key + " is not loaded, and the sampler has " + open + " model sessions open"
                            + " beside the versions it serves by default, its most (sampler.sessions.max-open:"
                            + " pinned versions and retired ones still in use)",
                    retryAfter);
        }
        if (perMinute == 0) {
            return;
        }
        long now = System.nanoTime();
        synchronized (recent) {
            Deque<Long> loads = recent.computeIfAbsent(caller, c -> new ArrayDeque<>());
            while (!loads.isEmpty() && now - loads.peekFirst() >= WINDOW.toNanos()) {
                loads.pollFirst();
            }
            if (loads.size() >= perMinute) {
                Duration wait = Duration.ofNanos(WINDOW.toNanos() - (now - loads.peekFirst()));
                throw new ModelLoadRefusedException(
                        "version " + key + " is not loaded, and "
                                + (caller.equals(ANONYMOUS) ? "callers without a ddpm-caller" : "this caller")
                                + " started " + loads.size() + " loads of pinned versions in the last minute, its most"
                                + " (sampler.sessions.loads-per-caller-per-minute)",
                        wait.compareTo(retryAfter) < 0 ? retryAfter : wait);
            }
            loads.addLast(now);
        }
    }
}
