package dev.ddpm.sampler.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.sampler.batching.DeadlineException;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.QueueFullException;
import dev.ddpm.sampler.batching.SamplerShuttingDownException;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.messaging.outgoing.SamplerEvents;
import dev.ddpm.sampler.registry.UnknownModelException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Asynchronous jobs from their record to its acknowledgement. A job read is held in the local
 * {@link JobQueue} at once (the consumer goes on reading until the queue is full); one admission
 * thread moves waiting jobs into the batcher, oldest first, as it has places: a job whose outcome a
 * previous delivery stored (results or failure) is announced again instead of run, one for a model
 * stored but not loaded here yet (every start, rollout and scale-out) waits and is tried again with
 * backoff, S3 found away holds every waiting job back for a backoff shared by all, and one no place
 * can ever take (too large, unable to finish before its deadline, a model that does not exist)
 * fails at once. A job still waiting or sampling at its deadline
 * ({@code sampler.jobs.deadline}, or the request's own {@code deadlineSeconds} when earlier) fails
 * as "deadline exceeded". A cancel ends a held job at once, whatever it waits for, and one for a job
 * not read yet is remembered, so that the job ends as cancelled when it comes. Every job ends in
 * exactly one SampleJobCompleted or SampleJobFailed ({@link JobOutcomes}), and its record is
 * acknowledged only once that is stored and announced.
 */
@ApplicationScoped
public class SampleJobRunner {

    private static final Logger LOG = Logger.getLogger(SampleJobRunner.class);
    /** How long a job that found S3 away or its model not loaded waits before it is tried again. */
    private static final Backoff RETRIES = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(10));
    /** Longest wait before a job that met a full batcher is offered again. */
    private static final Duration BATCHER_FULL_RETRY = Duration.ofSeconds(1);
    /** How often the admission thread looks at the queue besides when a job arrives. */
    private static final Duration TICK = Duration.ofMillis(250);
    /** Cancelled job ids remembered for jobs that have not come yet. */
    private static final int REMEMBERED_CANCELS = 10_000;

    private final JobAdmission admission;
    private final JobResults results;
    private final JobQueue queue;
    private final JobOutcomes outcomes;
    private final Duration deadline;
    private final Backoff backoff;
    private final Map<String, Boolean> cancelled = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_CANCELS;
        }
    };
    /** S3 found away this many times running, and no waiting job tried before s3NotBefore; admission thread's. */
    private int s3Failures;

    private long s3NotBefore = System.nanoTime();
    private final ScheduledExecutorService admitting = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "ddpm-sample-job-admission");
        thread.setDaemon(true);
        return thread;
    });

    @Inject
    public SampleJobRunner(JobAdmission admission, JobResults results, SamplerEvents events, SamplerConfig config) {
        this(
                admission,
                results,
                outcome -> events.sampleResults().sendAndWait(outcome),
                config.jobs().queueCapacity(),
                config.jobs().deadline(),
                RETRIES);
    }

    /**
     * @param announcer sends a job's outcome, returning once the broker has it
     * @param deadline  how long after it was requested (its record's time) a job may take to end
     * @param backoff   delays between attempts of a job, a result write or an announcement that failed
     */
    SampleJobRunner(
            JobAdmission admission,
            JobResults results,
            Consumer<EventData> announcer,
            int capacity,
            Duration deadline,
            Backoff backoff) {
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("sampler.jobs.deadline must be positive, was " + deadline);
        }
        this.admission = admission;
        this.results = results;
        this.queue = new JobQueue(capacity);
        this.outcomes = new JobOutcomes(results, announcer, queue, backoff);
        this.deadline = deadline;
        this.backoff = backoff;
        admitting.scheduleWithFixedDelay(this::admitWaiting, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void close() {
        admitting.shutdownNow();
        outcomes.close();
    }

    /**
     * Holds a job until it ends; {@code acknowledge} is called once its outcome is stored and
     * announced. Returns a stage that completes when the local queue has room for the next job: at
     * once unless it is full, so that the consumer reads no further job until a place frees. A job
     * held here already (its record delivered again, after a rebalance) is not held twice: the new
     * record is acknowledged when the held job ends.
     *
     * @param requested when the job was requested (its record's time), from which its deadline counts
     */
    public CompletionStage<Void> accept(
            SampleJobRequested job, Instant requested, Supplier<CompletionStage<Void>> acknowledge) {
        Duration requestedLimit = job.request().deadline();
        Duration limit = requestedLimit != null && requestedLimit.compareTo(deadline) < 0 ? requestedLimit : deadline;
        if (!queue.add(new HeldJob(job, requested, limit, acknowledge))) {
            HeldJob holding = queue.get(job.jobId());
            if (holding != null && holding.alsoAcknowledge(acknowledge)) {
                LOG.infof(
                        "job %s is held here already; the record that delivered it again is acknowledged with it",
                        job.jobId());
                return CompletableFuture.completedFuture(null);
            }
            // It ended meanwhile: its outcome is stored and announced.
            return acknowledge.get();
        }
        admitting.execute(this::admitWaiting);
        return queue.room();
    }

    /**
     * Cancels a job: one held here ends at once as a cancelled SampleJobFailed (its slots freed at the
     * next step); one not read yet ends so when it comes.
     *
     * @return false when this replica holds no such job, or its outcome is decided already
     */
    public boolean cancel(String jobId) {
        synchronized (cancelled) {
            cancelled.put(jobId, Boolean.TRUE);
        }
        HeldJob job = queue.get(jobId);
        if (job == null || !job.settle()) {
            return false;
        }
        outcomes.announce(job, cancelledOutcome(jobId));
        return true;
    }

    /** Jobs held now: waiting, sampling, or having their outcome stored and announced. */
    public int held() {
        return queue.size();
    }

    /** Jobs whose outcome is being stored and announced: the shutdown's drain waits for them. */
    public int finishing() {
        return (int) queue.snapshot().stream()
                .filter(job -> job.stage() == HeldJob.Stage.FINISHING)
                .count();
    }

    /** The stage of a job held here; empty when it is not. */
    public Optional<String> stage(String jobId) {
        return Optional.ofNullable(queue.get(jobId))
                .map(job -> job.stage().name().toLowerCase(Locale.ROOT));
    }

    private static SampleJobFailed cancelledOutcome(String jobId) {
        return new SampleJobFailed(jobId, "cancelled by a client", true);
    }

    private boolean wasCancelled(String jobId) {
        synchronized (cancelled) {
            return cancelled.containsKey(jobId);
        }
    }

    /**
     * One pass over the held jobs, on the admission thread: deadlines first, every job's, then
     * admission in order, which ends at the first job that meets the batcher full or S3 away. S3
     * away, no job is tried again before a backoff shared by all: each check waits out the store's
     * own retries, and a pass trying every job would hold deadlines back for as long again per job.
     */
    private void admitWaiting() {
        try {
            List<HeldJob> held = queue.snapshot();
            for (HeldJob job : held) {
                if (job.stage() != HeldJob.Stage.FINISHING && job.pastDeadline()) {
                    expire(job);
                }
            }
            long now = System.nanoTime();
            if (now - s3NotBefore < 0) {
                return;
            }
            for (HeldJob job : held) {
                if (job.stage() == HeldJob.Stage.WAITING && job.due(now)) {
                    Admitted admitted = admit(job);
                    if (admitted != Admitted.MOVED_ON) {
                        return; // the jobs behind it wait their turn
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "admitting sample jobs failed; tried again shortly");
        }
    }

    private void expire(HeldJob job) {
        if (!job.settle()) {
            return;
        }
        String waitingFor = job.waitingFor();
        outcomes.announce(
                job,
                new SampleJobFailed(
                        job.id(),
                        "deadline exceeded: the job did not end within " + describe(job.deadline()) + " of its request"
                                + (waitingFor == null ? "" : "; it was waiting: " + waitingFor)));
    }

    private static String describe(Duration duration) {
        return duration.toSecondsPart() == 0 && duration.toNanosPart() == 0 && duration.toMinutes() > 0
                ? duration.toMinutes() + " min"
                : String.format(Locale.ROOT, "%.1f s", duration.toNanos() / 1e9);
    }

    /**
     * One attempt to move a waiting job on: announced from its stored results, ended as cancelled,
     * admitted, refused, or left waiting.
     *
     * @return whether the job moved on, or met the batcher full or S3 away
     */
    private Admitted admit(HeldJob job) {
        String id = job.id();
        try {
            if (!job.resultsChecked()) {
                Optional<EventData> stored = results.stored(id);
                s3Failures = 0;
                job.resultsChecked(true);
                if (stored.isPresent()) {
                    LOG.infof("job %s already has its outcome stored; announced again, not run again", id);
                    if (job.settle()) {
                        outcomes.announceStored(job, stored.get());
                    }
                    return Admitted.MOVED_ON;
                }
            }
            if (wasCancelled(id)) {
                finish(job, cancelledOutcome(id));
                return Admitted.MOVED_ON;
            }
            SamplingJob admitted =
                    admission.admit(id, job.job().request().withDeadlineAtMost(job.remaining()), new Listener(job));
            if (!job.sampling(admitted)) {
                admitted.cancel(); // cancelled or expired meanwhile
            }
            return Admitted.MOVED_ON;
        } catch (SamplerShuttingDownException e) {
            // Not the job's failure: unacknowledged, its record is delivered again to a replica that stays.
            job.retryLater("for a replica that is not shutting down", BATCHER_FULL_RETRY);
            return Admitted.SHUTTING_DOWN;
        } catch (QueueFullException e) {
            Duration hint = e.retryAfter();
            job.retryLater(
                    "for a place in the batcher", hint.compareTo(BATCHER_FULL_RETRY) < 0 ? hint : BATCHER_FULL_RETRY);
            return Admitted.BATCHER_FULL;
        } catch (StorageException e) {
            return s3Away(job, e);
        } catch (UnknownModelException e) {
            boolean awaitsModel;
            try {
                awaitsModel = admission.awaitsModel(job.job().request());
            } catch (StorageException away) {
                return s3Away(job, away);
            }
            if (awaitsModel) {
                Duration delay = backoff.after(job.failedAttempts() + 1);
                if (job.failedAttempts() == 0) {
                    LOG.infof(
                            "job %s waits for model %s, stored but not loaded here yet",
                            id, job.job().request().model());
                }
                job.retryLater("for model '" + job.job().request().model() + "', stored but not loaded here", delay);
            } else {
                finish(job, new SampleJobFailed(id, e.getMessage()));
            }
            return Admitted.MOVED_ON;
        } catch (RuntimeException e) {
            // Refused for good: invalid for the model, too large, or unable to finish before its deadline.
            finish(
                    job,
                    new SampleJobFailed(
                            id, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            return Admitted.MOVED_ON;
        }
    }

    /** S3 could not be read for the job: no waiting job is tried again before a backoff shared by all. */
    private Admitted s3Away(HeldJob job, StorageException e) {
        s3Failures++;
        Duration delay = backoff.after(s3Failures);
        LOG.warnf("job %s: S3 cannot be read (%s); waiting jobs tried again in %s", job.id(), e.getMessage(), delay);
        job.retryLater("for S3: " + e.getMessage(), delay);
        s3NotBefore = System.nanoTime() + delay.toNanos();
        return Admitted.S3_AWAY;
    }

    private void finish(HeldJob job, EventData outcome) {
        if (job.settle()) {
            outcomes.announce(job, outcome);
        }
    }

    /** What one attempt to admit a waiting job came to. */
    private enum Admitted {
        /** Announced, ended, admitted, or left waiting for a reason of its own. */
        MOVED_ON,
        BATCHER_FULL,
        S3_AWAY,
        SHUTTING_DOWN
    }

    /** Hears the job on the batcher's thread and hands its outcome to {@link JobOutcomes}. */
    private final class Listener implements JobListener {

        private final HeldJob job;

        Listener(HeldJob job) {
            this.job = job;
        }

        @Override
        public void completed(ModelManifest model, float[][] images, List<byte[][]> frames, double seconds) {
            if (job.settle()) {
                outcomes.store(job, model, images, frames, seconds);
            }
        }

        @Override
        public void failed(RuntimeException error) {
            if (error instanceof SamplerShuttingDownException) {
                LOG.infof(
                        "job %s stopped by the shutdown; its record stays unacknowledged, for another replica",
                        job.id());
                return;
            }
            String reason = error instanceof DeadlineException
                    ? "deadline exceeded: " + error.getMessage()
                    : error.getMessage();
            finish(job, new SampleJobFailed(job.id(), reason));
        }
    }
}
