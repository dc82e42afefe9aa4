package dev.ddpm.sampler.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.Sha256;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.core.storage.Upload;
import dev.ddpm.service.testing.GaussianModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A completed job's results written while S3 comes and goes: retried until stored, or until the deadline. */
class JobOutcomesTest {

    private static final GaussianModel MODEL =
            new GaussianModel("outcomes", "v1", GaussianModel.pattern(1, 8, 0), 0.3, 1, 8);

    private final List<EventData> announced = new CopyOnWriteArrayList<>();
    private final FlakyResults results = new FlakyResults();
    private final JobQueue queue = new JobQueue(4);
    private final JobOutcomes outcomes =
            new JobOutcomes(results, announced::add, queue, new Backoff(Duration.ofMillis(20), Duration.ofMillis(100)));

    @AfterEach
    void close() {
        outcomes.close();
    }

    @Test
    void aResultWriteThatFailsIsRetriedUntilTheResultsAreStored() {
        results.failures.set(3);
        SampleJobRunnerTest.Record record = new SampleJobRunnerTest.Record();
        HeldJob job = held(record, Duration.ofMinutes(1));

        outcomes.store(job, manifest(), new float[2][64], List.of(), 1.0);

        await().atMost(Duration.ofSeconds(5)).until(() -> record.acks.get() == 1);
        assertThat(results.writes)
                .as("three failed writes, then the one that stored them")
                .hasValue(4);
        assertThat(announced)
                .singleElement()
                .isInstanceOfSatisfying(
                        SampleJobCompleted.class,
                        completed -> assertThat(completed.jobId()).isEqualTo("j1"));
        assertThat(queue.size()).as("the acknowledged job's place is free").isZero();
    }

    @Test
    void aResultWriteStillFailingAtTheDeadlineFailsTheJob() {
        results.failures.set(Integer.MAX_VALUE);
        SampleJobRunnerTest.Record record = new SampleJobRunnerTest.Record();
        HeldJob job = held(record, Duration.ofSeconds(1));

        outcomes.store(job, manifest(), new float[2][64], List.of(), 1.0);

        await().atMost(Duration.ofSeconds(5)).until(() -> record.acks.get() == 1);
        assertThat(results.writes.get()).isPositive();
        assertThat(announced)
                .singleElement()
                .isInstanceOfSatisfying(
                        SampleJobFailed.class,
                        failed -> assertThat(failed.reason())
                                .startsWith("deadline exceeded: results could not be stored"));
    }

    private HeldJob held(SampleJobRunnerTest.Record record, Duration deadline) {
        HeldJob job = new HeldJob(SampleJobRunnerTest.job("j1"), Instant.now(), deadline, record::ack);
        queue.add(job);
        job.settle();
        return job;
    }

    private static ModelManifest manifest() {
        byte[] graph = MODEL.graph();
        return MODEL.manifest(
                graph,
                new ObjectRef(Buckets.MODELS, "outcomes/v1/unet.onnx", graph.length, Sha256.of(graph)),
                Instant.now());
    }

    /** The results bucket, away for the first {@code failures} writes. */
    static final class FlakyResults extends JobResults {
        final AtomicInteger failures = new AtomicInteger();
        final AtomicInteger writes = new AtomicInteger();

        FlakyResults() {
            super(null);
        }

        @Override
        public Optional<EventData> stored(String jobId) {
            return Optional.empty();
        }

        @Override
        public EventData storeFailure(SampleJobFailed failed) {
            return failed;
        }

        @Override
        public SampleJobCompleted write(String jobId, String requestedBy, ModelManifest model, List<Upload> images) {
            writes.incrementAndGet();
            if (failures.getAndDecrement() > 0) {
                throw new StorageException("s3: write failed: connection refused");
            }
            return new SampleJobCompleted(jobId, model.name(), model.version(), List.of());
        }
    }
}
