package dev.ddpm.sampler.service;

import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.ObjectRef;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ProcessedEvents;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.model.ModelManifest;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.Upload;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.QueueFullException;
import dev.ddpm.sampler.batching.SampleSpec;
import dev.ddpm.sampler.output.EncodedImage;
import dev.ddpm.sampler.output.ResultEncoder;
import dev.ddpm.service.client.BackgroundConsumer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Asynchronous sampling from {@code ddpm.sample-jobs} (one consumer group shared by the replicas):
 * each poll's jobs go into the batcher together (so they share network calls), results are written
 * to {@code ddpm-samples/{jobId}/} with {@code result.json} last, and SampleJobCompleted or
 * SampleJobFailed goes to {@code ddpm.sample-results}. Offsets are committed after the poll's jobs
 * have ended; a redelivered job whose result.json exists is not run again.
 */
@Singleton
public class SampleJobs extends BackgroundConsumer {

    private static final Logger LOG = Logger.getLogger(SampleJobs.class);

    private final SamplingService sampling;
    private final ArtifactStore store;
    private final EventPublisher events;
    private final KafkaSettings kafka;
    private final ProcessedEvents processed = new ProcessedEvents(10_000);

    public SampleJobs(SamplingService sampling, ArtifactStore store, EventPublisher events, KafkaSettings kafka) {
        super("ddpm-sample-jobs");
        this.sampling = sampling;
        this.store = store;
        this.events = events;
        this.kafka = kafka;
    }

    void onStart(@Observes StartupEvent event) {
        start(kafka.consumer(), Topic.SAMPLE_JOBS.topicName());
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    @Override
    protected boolean handle(KafkaConsumer<String, byte[]> consumer, ConsumerRecords<String, byte[]> records) {
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            ReceivedEvent received = ReceivedEvent.of(record);
            if (!received.valid()) {
                LOG.warnf("skipping malformed record %s: %s", received.coordinates(), received.rejection());
            } else if (received.event().data() instanceof SampleJobRequested job && processed.firstTime(received.event())) {
                running.add(start(job));
            }
        }
        if (!running.isEmpty()) {
            pollPausedUntilDone(consumer, CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)));
        }
        if (!running()) {
            return false;
        }
        consumer.commitSync();
        return true;
    }

    private CompletableFuture<Void> start(SampleJobRequested job) {
        String pointer = job.jobId() + "/result.json";
        if (store.exists(Buckets.SAMPLES, pointer)) {
            LOG.infof("job %s already has its results; not run again", job.jobId());
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        SampleSpec spec = new SampleSpec(job.model(), job.version(), job.count(), job.sampler(), job.steps(), job.eta(),
                job.seed(), job.output(), true, DdpmVariance.FIXED_SMALL, 0);
        JobListener listener = new JobListener() {
            @Override
            public void progress(int step, int totalSteps, double etaSeconds, int queuePosition) {
            }

            @Override
            public void preview(ModelManifest.Image image, int step, int index, float[] predictedX0) {
            }

            @Override
            public void completed(ModelManifest model, float[][] images, List<float[][]> frames, double seconds) {
                try {
                    List<Upload> uploads = new ArrayList<>();
                    for (EncodedImage file : ResultEncoder.encode(job.output(), images, frames, model.image().channels(),
                            model.image().width())) {
                        String extension = file.mediaType().equals("image/gif") ? "gif" : "png";
                        uploads.add(new Upload.Bytes(job.jobId() + "/image-" + file.index() + "." + extension, file.data(),
                                file.mediaType()));
                    }
                    List<ObjectRef> results = new ArrayList<>();
                    store.writeThenPoint(Buckets.SAMPLES, uploads, pointer, refs -> {
                        results.addAll(refs);
                        return new SampleJobCompleted(job.jobId(), model.name(), model.version(), refs);
                    });
                    send(new SampleJobCompleted(job.jobId(), model.name(), model.version(), results));
                    LOG.infof("job %s: %d images of %s %s in %.1f s", job.jobId(), images.length, model.name(),
                            model.version(), seconds);
                } catch (RuntimeException e) {
                    send(new SampleJobFailed(job.jobId(), "results could not be stored: " + e.getMessage()));
                }
                done.complete(null);
            }

            @Override
            public void failed(RuntimeException error) {
                send(new SampleJobFailed(job.jobId(), error.getMessage()));
                done.complete(null);
            }
        };
        while (running()) {
            try {
                sampling.start(job.jobId(), spec, listener);
                return done;
            } catch (QueueFullException e) {
                // Jobs wait their turn (interactive requests get the 429s); back off and try again.
                sleep(e.retryAfter());
            } catch (RuntimeException e) {
                send(new SampleJobFailed(job.jobId(), e.getMessage()));
                return CompletableFuture.completedFuture(null);
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    private void send(EventData data) {
        try {
            events.publishAndWait(CloudEvent.of(events.source(), data), Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            LOG.warnf("could not publish %s: %s", data.getClass().getSimpleName(), e.getMessage());
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
