package dev.ddpm.sampler.service;

import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.sampler.batching.SamplingJob;

import java.time.Duration;
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
    private final Supplier<CompletionStage<Void>> acknowledge;
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
     * @param deadline    how long after now the job may take to end
     * @param acknowledge acknowledges the job's record, once its outcome is stored and announced
     */
    HeldJob(SampleJobRequested job, Duration deadline, Supplier<CompletionStage<Void>> acknowledge) {
        this.job = job;
        this.deadline = deadline;
        this.deadlineNanos = System.nanoTime() + deadline.toNanos();
        this.acknowledge = acknowledge;
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

    /** How long after its record was read the job may take to end. */
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

    CompletionStage<Void> acknowledge() {
        return acknowledge.get();
    }
}
