package dev.ddpm.gateway.service;

import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.SampleJobCancelRequested;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.gateway.service.SampleJobs.State;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiFunction;

/**
 * Every asynchronous sampling job this replica knows, folded from {@code ddpm.sample-jobs} (who
 * submitted it, its cancellation) and {@code ddpm.sample-results} (how it ended), both read by each
 * replica from their start in groups of their own, so any replica answers for any job. Folding is
 * idempotent and only moves forward: an ended job never shows as queued again, a repeated end changes
 * nothing, and a completion wins over a failure (the sampler stored the results). At most
 * {@link #DEFAULT_MAX_JOBS} jobs are kept; beyond that the ended ones least recently changed go first.
 */
@Singleton
public class SampleJobView {

    static final int DEFAULT_MAX_JOBS = 10_000;

    /**
     * One job as the APIs show it.
     *
     * @param model           the model it samples; null when not known
     * @param version         the version that sampled it, once it succeeded
     * @param results         the stored files, once it succeeded
     * @param error           why it failed or was cancelled
     * @param requestedBy     the API key id that submitted it (its owner); null when not known
     * @param firstSeen       when this replica first heard of it
     * @param resultCheckedAt when this replica last looked for its result.json (null: never)
     */
    public record Job(
            String jobId,
            State state,
            String model,
            String version,
            List<ObjectRef> results,
            String error,
            String requestedBy,
            Instant firstSeen,
            Instant updatedAt,
            Instant resultCheckedAt) {

        public Job {
            results = List.copyOf(results);
        }

        /** Succeeded, failed or cancelled. */
        public boolean ended() {
            return state == State.SUCCEEDED || state == State.FAILED || state == State.CANCELLED;
        }

        static Job first(String jobId, State state, String model, String requestedBy, Instant now) {
            return new Job(jobId, state, model, null, List.of(), null, requestedBy, now, now, null);
        }

        Job known(String knownModel, String knownRequester) {
            if ((knownModel == null || model != null) && (knownRequester == null || requestedBy != null)) {
                return this;
            }
            return new Job(
                    jobId,
                    state,
                    model == null ? knownModel : model,
                    version,
                    results,
                    error,
                    requestedBy == null ? knownRequester : requestedBy,
                    firstSeen,
                    updatedAt,
                    resultCheckedAt);
        }

        Job ended(State end, String endModel, String endVersion, List<ObjectRef> files, String reason, Instant now) {
            return new Job(
                    jobId,
                    end,
                    endModel == null ? model : endModel,
                    endVersion,
                    files,
                    reason,
                    requestedBy,
                    firstSeen,
                    now,
                    resultCheckedAt);
        }

        Job cancelling(Instant now) {
            return new Job(
                    jobId,
                    State.CANCELLING,
                    model,
                    version,
                    results,
                    error,
                    requestedBy,
                    firstSeen,
                    now,
                    resultCheckedAt);
        }

        Job checked(Instant now) {
            return new Job(jobId, state, model, version, results, error, requestedBy, firstSeen, updatedAt, now);
        }
    }

    private final int maxJobs;
    private final ConcurrentMap<String, Job> jobs = new ConcurrentHashMap<>();

    public SampleJobView() {
        this(DEFAULT_MAX_JOBS);
    }

    SampleJobView(int maxJobs) {
        this.maxJobs = maxJobs;
    }

    public Optional<Job> get(String jobId) {
        return Optional.ofNullable(jobs.get(jobId));
    }

    /** How many jobs are kept now. */
    public int size() {
        return jobs.size();
    }

    /**
     * Folds one event of {@code ddpm.sample-jobs} (SampleJobRequested, SampleJobCancelRequested) or
     * {@code ddpm.sample-results} (SampleJobCompleted, SampleJobFailed).
     *
     * @throws IllegalArgumentException for any other event (the consumer sends it to the dead-letter topic)
     */
    public void apply(EventData data) {
        Instant now = Instant.now();
        if (data instanceof SampleJobRequested r) {
            requested(r.jobId(), r.request().model(), r.requestedBy());
        } else if (data instanceof SampleJobCancelRequested c) {
            cancelRequested(c.jobId());
        } else if (data instanceof SampleJobCompleted c) {
            // The end names the submitter too (result.json outlives the topics), for a job known by it alone.
            fold(
                    c.jobId(),
                    (id, old) -> old == null
                            ? Job.first(id, State.QUEUED, c.model(), c.requestedBy(), now)
                                    .ended(State.SUCCEEDED, c.model(), c.version(), c.results(), null, now)
                            : old.state() == State.SUCCEEDED
                                    ? old.known(null, c.requestedBy())
                                    : old.known(null, c.requestedBy())
                                            .ended(State.SUCCEEDED, c.model(), c.version(), c.results(), null, now));
        } else if (data instanceof SampleJobFailed f) {
            State end = f.cancelled() ? State.CANCELLED : State.FAILED;
            fold(
                    f.jobId(),
                    (id, old) -> old == null
                            ? Job.first(id, State.QUEUED, null, f.requestedBy(), now)
                                    .ended(end, null, null, List.of(), f.reason(), now)
                            : old.ended()
                                    ? old.known(null, f.requestedBy())
                                    : old.known(null, f.requestedBy())
                                            .ended(end, null, null, List.of(), f.reason(), now));
        } else {
            throw new IllegalArgumentException(
                    "not a sample job event: " + data.getClass().getSimpleName());
        }
    }

    /**
     * The job was submitted (by this replica, or read from the jobs' topic): queued until it ends. A
     * job known already keeps its state and gains what it lacked (its model, its owner).
     */
    public void requested(String jobId, String model, String requestedBy) {
        fold(
                jobId,
                (id, old) -> old == null
                        ? Job.first(id, State.QUEUED, model, requestedBy, Instant.now())
                        : old.known(model, requestedBy));
    }

    /** A cancel was sent: a queued job shows as cancelling until it ends; anything else is unchanged. */
    public void cancelRequested(String jobId) {
        jobs.computeIfPresent(jobId, (id, old) -> old.state() == State.QUEUED ? old.cancelling(Instant.now()) : old);
    }

    /**
     * Whether to look for the job's result.json now: it has not ended, was first seen at least
     * {@code minAge} ago, and was last looked for at least {@code every} ago. A yes counts as the look
     * (atomically), so concurrent readers make one S3 request between them.
     */
    public boolean claimResultCheck(String jobId, Duration minAge, Duration every) {
        Instant now = Instant.now();
        boolean[] claimed = {false};
        jobs.computeIfPresent(jobId, (id, job) -> {
            if (job.ended()
                    || job.firstSeen().plus(minAge).isAfter(now)
                    || job.resultCheckedAt() != null
                            && job.resultCheckedAt().plus(every).isAfter(now)) {
                return job;
            }
            claimed[0] = true;
            return job.checked(now);
        });
        return claimed[0];
    }

    private void fold(String jobId, BiFunction<String, Job, Job> change) {
        jobs.compute(jobId, change);
        if (jobs.size() > maxJobs) {
            trim();
        }
    }

    /**
     * Back to nine tenths of the bound (so that trimming is rare): ended jobs least recently changed
     * first, then, only if every job kept is still open, the longest known.
     */
    private synchronized void trim() {
        int excess = jobs.size() - maxJobs * 9 / 10;
        if (excess <= 0) {
            return;
        }
        jobs.values().stream()
                .sorted(Comparator.comparing((Job j) -> !j.ended())
                        .thenComparing(j -> j.ended() ? j.updatedAt() : j.firstSeen()))
                .limit(excess)
                .map(Job::jobId)
                .toList()
                .forEach(jobs::remove);
    }
}
