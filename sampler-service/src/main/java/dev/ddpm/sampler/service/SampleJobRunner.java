package dev.ddpm.sampler.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.Upload;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.messaging.outgoing.SamplerEvents;
import dev.ddpm.sampler.output.EncodedImage;
import dev.ddpm.sampler.output.ResultEncoder;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one asynchronous sampling job: queued with the batcher beside live requests (waiting for a
 * place while its queue is full, {@link JobAdmission}), results written to
 * {@code ddpm-samples/{jobId}/} with {@code result.json} last, then SampleJobCompleted or
 * SampleJobFailed on {@code ddpm.sample-results}. A job cancelled while it waits or runs frees its
 * place and slots at once and ends as a cancelled SampleJobFailed. Encoding, the upload and the send run on a pool
 * of their own, never on the batcher's thread, so a slow S3 stalls no live request.
 */
@ApplicationScoped
public class SampleJobRunner {

    private static final Logger LOG = Logger.getLogger(SampleJobRunner.class);

    private final JobAdmission admission;
    private final ArtifactStore store;
    private final SamplerEvents events;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final ExecutorService results = Executors.newFixedThreadPool(2, r -> {
        Thread thread = new Thread(r, "ddpm-sample-job-results");
        thread.setDaemon(true);
        return thread;
    });

    public SampleJobRunner(JobAdmission admission, ArtifactStore store, SamplerEvents events) {
        this.admission = admission;
        this.store = store;
        this.events = events;
    }

    @PreDestroy
    void close() {
        results.shutdown();
    }

    /** Whether a job's results are already stored (a redelivered job is not run again). */
    public boolean hasResults(String jobId) {
        return store.exists(Buckets.SAMPLES, pointer(jobId));
    }

    /**
     * Queues the job; returns once the batcher has taken it, with a future that completes when its
     * outcome is stored and announced. A job the sampler refuses (unknown model, a field out of
     * range) ends at once as SampleJobFailed.
     */
    public CompletableFuture<Void> start(SampleJobRequested job) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            Listener listener = new Listener(job, done);
            SamplingJob admitted = admission.admit(job.jobId(), job.request(), listener);
            running.put(job.jobId(), new Running(admitted, listener));
            done.whenComplete((ok, error) -> running.remove(job.jobId()));
        } catch (RuntimeException e) {
            send(new SampleJobFailed(job.jobId(), e.getMessage()));
            done.complete(null);
        }
        return done;
    }

    private record Running(SamplingJob job, Listener listener) {}

    /**
     * Cancels a job this replica holds: its slots are freed at the next step, and it ends as a
     * cancelled SampleJobFailed (so its record is acknowledged).
     *
     * @return false when this replica holds no such job (finished already, or never here)
     */
    public boolean cancel(String jobId) {
        Running job = running.remove(jobId);
        if (job == null) {
            return false;
        }
        job.job().cancel();
        job.listener().finish(() -> send(new SampleJobFailed(jobId, "cancelled by a client", true)));
        return true;
    }

    private static String pointer(String jobId) {
        return jobId + "/result.json";
    }

    private void store(
            SampleJobRequested job, ModelManifest model, float[][] images, List<float[][]> frames, double seconds) {
        try {
            List<Upload> uploads = new ArrayList<>();
            for (EncodedImage file : ResultEncoder.encode(
                    job.request().output(),
                    images,
                    frames,
                    model.image().channels(),
                    model.image().width())) {
                String extension = ResultEncoder.extension(file.mediaType());
                uploads.add(new Upload.Bytes(
                        job.jobId() + "/image-" + file.index() + "." + extension, file.data(), file.mediaType()));
            }
            List<ObjectRef> stored = new ArrayList<>();
            store.writeThenPoint(Buckets.SAMPLES, uploads, pointer(job.jobId()), refs -> {
                stored.addAll(refs);
                return new SampleJobCompleted(job.jobId(), model.name(), model.version(), refs);
            });
            send(new SampleJobCompleted(job.jobId(), model.name(), model.version(), stored));
            LOG.infof(
                    "job %s: %d images of %s %s in %.1f s",
                    job.jobId(), images.length, model.name(), model.version(), seconds);
        } catch (RuntimeException e) {
            send(new SampleJobFailed(job.jobId(), "results could not be stored: " + e.getMessage()));
        }
    }

    private void send(EventData data) {
        try {
            events.sampleResults().sendAndWait(data);
        } catch (RuntimeException e) {
            LOG.warnf("could not publish %s: %s", data.getClass().getSimpleName(), e.getMessage());
        }
    }

    /** Hears the job on the batcher's thread and hands its outcome to the results pool. */
    private final class Listener implements JobListener {

        private final SampleJobRequested job;
        private final CompletableFuture<Void> done;
        private final AtomicBoolean settled = new AtomicBoolean();

        Listener(SampleJobRequested job, CompletableFuture<Void> done) {
            this.job = job;
            this.done = done;
        }

        @Override
        public void completed(ModelManifest model, float[][] images, List<float[][]> frames, double seconds) {
            finish(() -> store(job, model, images, frames, seconds));
        }

        @Override
        public void failed(RuntimeException error) {
            finish(() -> send(new SampleJobFailed(job.jobId(), error.getMessage())));
        }

        /** The job's one outcome: whichever of completion, failure and cancellation comes first. */
        void finish(Runnable outcome) {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            CompletableFuture.runAsync(outcome, results).whenComplete((ok, error) -> {
                if (error != null) {
                    done.completeExceptionally(error);
                } else {
                    done.complete(null);
                }
            });
        }
    }
}
