package dev.ddpm.sampler.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.core.storage.Upload;
import dev.ddpm.sampler.output.EncodedImage;
import dev.ddpm.sampler.output.ResultEncoder;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A held job's one outcome made durable, then announced, then its record acknowledged, on a pool of
 * its own (never the batcher's thread, so a slow S3 or broker stalls no live request). A result
 * write that fails (S3 away longer than the store's own retries) is tried again later, until the
 * job's deadline, after which the job fails. A failure is stored too ({@link JobResults#storeFailure}),
 * tried again likewise until the deadline; one that cannot be stored past it (every attempt has the
 * store's own retries) is announced unstored, since holding its record longer would outlive the
 * channel's staleness limit. An announcement that fails is tried again until it
 * succeeds, the record staying unacknowledged meanwhile, since the outcome must not be lost: should
 * the broker stay away past the channel's staleness limit, the replica restarts and the job's record
 * comes again (a stored result is then announced again, {@link SampleJobRunner}).
 */
final class JobOutcomes {

    private static final Logger LOG = Logger.getLogger(JobOutcomes.class);

    private final JobResults results;
    private final Consumer<EventData> announcer;
    private final JobQueue queue;
    private final Backoff backoff;
    private final ScheduledExecutorService pool = Executors.newScheduledThreadPool(2, r -> {
        Thread thread = new Thread(r, "ddpm-sample-job-results");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * @param announcer sends an outcome on {@code ddpm.sample-results} and returns once the broker has
     *                  it; throws when it will not arrive
     * @param queue     where an acknowledged job frees its place
     */
    JobOutcomes(JobResults results, Consumer<EventData> announcer, JobQueue queue, Backoff backoff) {
        this.results = results;
        this.announcer = announcer;
        this.queue = queue;
        this.backoff = backoff;
    }

    void close() {
        pool.shutdownNow();
    }

    /** Encodes a completed job's images, stores them with its {@code result.json}, then announces it. */
    void store(HeldJob job, ModelManifest model, float[][] images, List<byte[][]> frames, double seconds) {
        pool.execute(() -> {
            List<Upload> uploads;
            try {
                uploads = encode(job, model, images, frames);
            } catch (RuntimeException e) {
                fail(job, new SampleJobFailed(job.id(), "results could not be encoded: " + e.getMessage()), 0);
                return;
            }
            write(job, model, uploads, images.length, seconds, 0);
        });
    }

    /**
     * Stores {@code outcome} (the job's one outcome) where it is a failure, announces it, then
     * acknowledges the job's record.
     */
    void announce(HeldJob job, EventData outcome) {
        pool.execute(() -> {
            if (outcome instanceof SampleJobFailed failed) {
                fail(job, failed, 0);
            } else {
                send(job, outcome, 0);
            }
        });
    }

    /** Announces an outcome a previous delivery stored, then acknowledges the job's record. */
    void announceStored(HeldJob job, EventData stored) {
        pool.execute(() -> send(job, stored, 0));
    }

    private static List<Upload> encode(HeldJob job, ModelManifest model, float[][] images, List<byte[][]> frames) {
        String jobId = job.id();
        List<Upload> uploads = new ArrayList<>();
        for (EncodedImage file : ResultEncoder.encode(
                job.job().request().output(),
                images,
                frames,
                model.image().channels(),
                model.image().width())) {
            String extension = ResultEncoder.extension(file.mediaType());
            uploads.add(new Upload.Bytes(
                    jobId + "/image-" + file.index() + "." + extension, file.data(), file.mediaType()));
        }
        return uploads;
    }

    private void write(
            HeldJob job, ModelManifest model, List<Upload> uploads, int images, double seconds, int failures) {
        SampleJobCompleted completed;
        try {
            completed = results.write(job.id(), job.job().requestedBy(), model, uploads);
        } catch (StorageException e) {
            if (job.pastDeadline()) {
                fail(
                        job,
                        new SampleJobFailed(
                                job.id(), "deadline exceeded: results could not be stored: " + e.getMessage()),
                        0);
                return;
            }
            Duration delay = backoff.after(failures + 1);
            LOG.warnf("job %s: results could not be stored (%s); trying again in %s", job.id(), e.getMessage(), delay);
            later(() -> write(job, model, uploads, images, seconds, failures + 1), delay);
            return;
        } catch (RuntimeException e) {
            fail(job, new SampleJobFailed(job.id(), "results could not be stored: " + e.getMessage()), 0);
            return;
        }
        LOG.infof("job %s: %d images of %s %s in %.1f s", job.id(), images, model.name(), model.version(), seconds);
        send(job, completed, 0);
    }

    /**
     * Stores the failure, naming the job's submitter, then announces the end stored (an earlier one,
     * where there was one).
     */
    private void fail(HeldJob job, SampleJobFailed failure, int failures) {
        SampleJobFailed failed = failure.withRequestedBy(job.job().requestedBy());
        EventData end;
        try {
            end = results.storeFailure(failed);
        } catch (StorageException e) {
            if (job.pastDeadline()) {
                LOG.warnf("job %s: its failure could not be stored (%s); announced unstored", job.id(), e.getMessage());
                send(job, failed, 0);
                return;
            }
            Duration delay = backoff.after(failures + 1);
            LOG.warnf(
                    "job %s: its failure could not be stored (%s); trying again in %s",
                    job.id(), e.getMessage(), delay);
            later(() -> fail(job, failed, failures + 1), delay);
            return;
        } catch (RuntimeException e) {
            LOG.warnf("job %s: its failure could not be stored (%s); announced unstored", job.id(), e.getMessage());
            end = failed;
        }
        send(job, end, 0);
    }

    private void send(HeldJob job, EventData outcome, int failures) {
        try {
            announcer.accept(outcome);
        } catch (RuntimeException e) {
            Duration delay = backoff.after(failures + 1);
            LOG.warnf(
                    "job %s: %s could not be announced (%s); trying again in %s, its record unacknowledged",
                    job.id(), outcome.getClass().getSimpleName(), e.getMessage(), delay);
            later(() -> send(job, outcome, failures + 1), delay);
            return;
        }
        try {
            job.acknowledge().whenComplete((ok, error) -> queue.remove(job));
        } catch (RuntimeException e) {
            LOG.warnf("job %s: its record could not be acknowledged: %s", job.id(), e.getMessage());
            queue.remove(job);
        }
    }

    private void later(Runnable attempt, Duration delay) {
        pool.schedule(attempt, delay.toNanos(), TimeUnit.NANOSECONDS);
    }
}
