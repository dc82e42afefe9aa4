package dev.ddpm.sampler.service;

import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.sampler.batching.SamplingJob;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * One asynchronous job this replica holds, from its record being read to the record's
 * acknowledgement. It goes through its stages once: waiting (in the local queue, for a place in
 * the batcher, its model or S3), sampling (in the batcher), then finishing (its one outcome stored
 * and announced); whichever of completion, failure, cancellation and deadline comes first decides
 * that outcome.
 */
final class HeldJob {

    enum Stage {
        WAITING,
        SAMPLING,
        FINISHING
    }

    private final SampleJobRequested job;
    private final Duration deadline;
    private final long deadlineNanos;
    /** The job's record, and any delivered again while it is held: all are acknowledged when it ends. */
    private final List<Supplier<CompletionStage<Void>>> acknowledgements = new ArrayList<>();

    private boolean acknowledged;
    private Stage stage = Stage.WAITING;
    private SamplingJob sampling;
    /** Not tried again before this (System.nanoTime), after a failed attempt; the admission thread's own. */
    private long notBeforeNanos;

    private int failedAttempts;
    /** Why the job is still waiting, for the reason it fails with at its deadline; null while it need not. */
    private volatile String waitingFor;
    /** Whether this replica already looked for results a previous delivery of the job stored. */
    private boolean resultsChecked;

    /**
     * @param requested   when the job was requested (its record's time): the deadline counts from then, so
     *                    that a record delivered again gets only what is left of it
     * @param deadline    how long after {@code requested} the job may take to end
     * @param acknowledge acknowledges the job's record, once its outcome is stored and announced
     */
    HeldJob(SampleJobRequested job, Instant requested, Duration deadline, Supplier<CompletionStage<Void>> acknowledge) {
        this.job = job;
        this.deadline = deadline;
        // A requested time ahead of this clock (skew) counts as now: never more than the whole deadline.
        Duration age = Duration.between(requested, Instant.now());
        this.deadlineNanos = System.nanoTime()
                + deadline.minus(age.isNegative() ? Duration.ZERO : age).toNanos();
        this.acknowledgements.add(acknowledge);
    }

    String id() {
        return job.jobId();
    }

    SampleJobRequested job() {
        return job;
    }

    synchronized Stage stage() {
        return stage;
    }

    /** How long after it was requested the job may take to end. */
    Duration deadline() {
        return deadline;
    }

    /** What is left until the deadline (negative once it has passed). */
    Duration remaining() {
        return Duration.ofNanos(deadlineNanos - System.nanoTime());
    }

    boolean pastDeadline() {
        return System.nanoTime() - deadlineNanos > 0;
    }

    /**
     * The job entered the batcher. False when its outcome was decided meanwhile (cancelled, or past
     * its deadline): the caller cancels the sampling job then.
     */
    synchronized boolean sampling(SamplingJob admitted) {
        if (stage != Stage.WAITING) {
            return false;
        }
        stage = Stage.SAMPLING;
        sampling = admitted;
        return true;
    }

    /**
     * Decides the job's outcome: true for the first caller while it waits or samples (its sampling
     * job, if any, is cancelled), false once the outcome is decided.
     */
    boolean settle() {
        SamplingJob running;
        synchronized (this) {
            if (stage == Stage.FINISHING) {
                return false;
            }
            stage = Stage.FINISHING;
            running = sampling;
        }
        if (running != null) {
            running.cancel(); // nothing once it completed
        }
        return true;
    }

    boolean due(long now) {
        return now - notBeforeNanos >= 0;
    }

    /** An attempt failed for a reason that passes (S3 away, the model not loaded yet): try again later. */
    void retryLater(String reason, Duration delay) {
        waitingFor = reason;
        failedAttempts++;
        notBeforeNanos = System.nanoTime() + delay.toNanos();
    }

    int failedAttempts() {
        return failedAttempts;
    }

    String waitingFor() {
        return waitingFor;
    }

    boolean resultsChecked() {
        return resultsChecked;
    }

    void resultsChecked(boolean checked) {
        resultsChecked = checked;
    }

    /**
     * Adds the acknowledgement of a record that delivered the job again while it is held, so that
     * the record is acknowledged with the job's own when the job ends, never before: acknowledged
     * earlier, it would commit the offset past a job not ended yet. False once the job's records
     * are acknowledged (its outcome stored and announced): the caller may acknowledge it at once.
     */
    synchronized boolean alsoAcknowledge(Supplier<CompletionStage<Void>> acknowledge) {
        if (acknowledged) {
            return false;
        }
        acknowledgements.add(acknowledge);
        return true;
    }

    /** Acknowledges every record that delivered the job; completes when all are. */
    CompletionStage<Void> acknowledge() {
        List<Supplier<CompletionStage<Void>>> records;
        synchronized (this) {
            acknowledged = true;
            records = List.copyOf(acknowledgements);
        }
        CompletableFuture<?>[] acks = new CompletableFuture<?>[records.size()];
        for (int i = 0; i < acks.length; i++) {
            try {
                acks[i] = records.get(i).get().toCompletableFuture();
            } catch (RuntimeException e) {
                acks[i] = CompletableFuture.failedFuture(e); // the other records are acknowledged still
            }
        }
        return CompletableFuture.allOf(acks);
    }
}
