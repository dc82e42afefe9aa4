package dev.ddpm.sampler.service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The asynchronous jobs this replica holds, in arrival order: a job keeps its place from its record
 * being read until the record is acknowledged, whatever stage it is in, so that what the replica
 * holds unacknowledged (and in memory) is bounded. Reading jobs pauses on {@link #add}'s room stage
 * while the queue is full; the place a job frees completes it.
 */
final class JobQueue {

    private final int capacity;
    private final Map<String, HeldJob> jobs = new LinkedHashMap<>();
    private CompletableFuture<Void> room = CompletableFuture.completedFuture(null);

    JobQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("sampler.jobs.queue-capacity must be >= 1, was " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Holds a job; false when a job of that id is held already (its record delivered again).
     */
    synchronized boolean add(HeldJob job) {
        if (jobs.putIfAbsent(job.id(), job) != null) {
            return false;
        }
        if (jobs.size() >= capacity && room.isDone()) {
            room = new CompletableFuture<>();
        }
        return true;
    }

    /** Completes when the queue has room for another job: at once, unless it is full. */
    synchronized CompletionStage<Void> room() {
        return room;
    }

    synchronized HeldJob get(String jobId) {
        return jobs.get(jobId);
    }

    /** Lets go of a job whose record is acknowledged; frees its place. */
    void remove(HeldJob job) {
        CompletableFuture<Void> freed = null;
        synchronized (this) {
            if (!jobs.remove(job.id(), job)) {
                return;
            }
            if (jobs.size() < capacity && !room.isDone()) {
                freed = room;
            }
        }
        if (freed != null) {
            freed.complete(null); // outside the lock: it resumes the consumer
        }
    }

    /** The jobs held, oldest first. */
    synchronized List<HeldJob> snapshot() {
        return new ArrayList<>(jobs.values());
    }

    synchronized int size() {
        return jobs.size();
    }
}
