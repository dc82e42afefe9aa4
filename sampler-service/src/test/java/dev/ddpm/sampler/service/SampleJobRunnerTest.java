package dev.ddpm.sampler.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.core.storage.Upload;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.registry.UnknownModelException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The job lifecycle without a batcher, S3 or a broker: stand-ins that fail as S3 and the broker do
 * when they are away show that a job waits (never dead-lettered, never acknowledged unannounced),
 * that it ends at its deadline, and that a full queue still lets a cancel through.
 */
class SampleJobRunnerTest {

    private static final Backoff FAST = new Backoff(Duration.ofMillis(20), Duration.ofMillis(100));

    private final List<EventData> announced = new CopyOnWriteArrayList<>();
    private final AtomicInteger failingAnnouncements = new AtomicInteger();
    private final StoredResults results = new StoredResults();
    private final ModelLoading admission = new ModelLoading();
    private SampleJobRunner runner;

    @AfterEach
    void close() {
        if (runner != null) {
            runner.close();
        }
    }

    private SampleJobRunner runner(int capacity, Duration deadline) {
        runner = new SampleJobRunner(
                admission,
                results,
                outcome -> {
                    if (failingAnnouncements.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        throw new IllegalStateException("the broker did not acknowledge the record");
                    }
                    announced.add(outcome);
                },
                capacity,
                deadline,
                FAST);
        return runner;
    }

    @Test
    void aJobMeetingS3AwayWaitsAndIsAnnouncedFromItsStoredResultsOnceS3Answers() throws Exception {
        SampleJobRunner jobs = runner(4, Duration.ofMinutes(1));
        results.unreachable = true;
        Record record = new Record();

        assertThat(jobs.accept(job("j1"), record::ack).toCompletableFuture()).isDone();
        await().atMost(Duration.ofSeconds(5)).until(() -> results.lookups.get() >= 3);
        assertThat(announced).as("nothing announced while S3 is away").isEmpty();
        assertThat(record.acks).hasValue(0);
        assertThat(jobs.stage("j1")).contains("waiting");

        results.stored = new SampleJobCompleted("j1", "m", "v1", List.of());
        results.unreachable = false;
        await().atMost(Duration.ofSeconds(5)).until(() -> record.acks.get() == 1);
        assertThat(announced).containsExactly(results.stored);
        assertThat(jobs.held()).isZero();
    }

    @Test
    void aJobStillWaitingForS3AtItsDeadlineFailsAsDeadlineExceededAndIsAcknowledged() {
        SampleJobRunner jobs = runner(4, Duration.ofMillis(500));
        results.unreachable = true;
        Record record = new Record();

        jobs.accept(job("j1"), record::ack);

        await().atMost(Duration.ofSeconds(5)).until(() -> record.acks.get() == 1);
        assertThat(announced).singleElement().isInstanceOfSatisfying(SampleJobFailed.class, failed -> {
            assertThat(failed.reason())
                    .startsWith("deadline exceeded")
                    .contains("S3")
                    .contains("unreachable");
            assertThat(failed.cancelled()).isFalse();
        });
        assertThat(jobs.held()).isZero();
    }

    @Test
    void anOutcomeThatCannotBeAnnouncedIsRetriedAndItsRecordAcknowledgedOnlyAfterwards() {
        SampleJobRunner jobs = runner(4, Duration.ofMinutes(1));
        results.stored = new SampleJobCompleted("j1", "m", "v1", List.of());
        failingAnnouncements.set(3);
        Record record = new Record();

        jobs.accept(job("j1"), record::ack);

        await().atMost(Duration.ofSeconds(5)).until(() -> failingAnnouncements.get() == 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> record.acks.get() == 1);
        assertThat(announced).containsExactly(results.stored);
    }

    @Test
    void aJobForAModelBeingLoadedWaitsAndOneForAModelThatDoesNotExistFailsAtOnce() {
        SampleJobRunner jobs = runner(4, Duration.ofMinutes(1));
        admission.stored = true;
        Record waiting = new Record();
        jobs.accept(job("j1"), waiting::ack);
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.attempts.get() >= 3);
        assertThat(announced).isEmpty();

        admission.stored = false;
        Record unknown = new Record();
        jobs.accept(job("j2"), unknown::ack);
        await().atMost(Duration.ofSeconds(5)).until(() -> unknown.acks.get() == 1);
        assertThat(announced)
                .singleElement()
                .isInstanceOfSatisfying(
                        SampleJobFailed.class,
                        failed -> assertThat(failed.reason()).contains("not loaded here"));
    }

    @Test
    void aFullQueueHoldsTheConsumerAndACancelFreesAPlace() {
        SampleJobRunner jobs = runner(2, Duration.ofMinutes(1));
        admission.stored = true; // both wait for their model
        Record first = new Record();
        Record second = new Record();

        assertThat(jobs.accept(job("j1"), first::ack).toCompletableFuture()).isDone();
        CompletableFuture<Void> room = jobs.accept(job("j2"), second::ack).toCompletableFuture();
        assertThat(room).as("the consumer waits for room").isNotDone();

        assertThat(jobs.cancel("j1")).isTrue();

        await().atMost(Duration.ofSeconds(5)).until(room::isDone);
        assertThat(first.acks).hasValue(1);
        assertThat(announced)
                .singleElement()
                .isInstanceOfSatisfying(
                        SampleJobFailed.class,
                        failed -> assertThat(failed.cancelled()).isTrue());
        assertThat(second.acks).as("still waiting for its model").hasValue(0);
    }

    @Test
    void aCancelHeardBeforeItsJobEndsTheJobWhenItComes() {
        SampleJobRunner jobs = runner(4, Duration.ofMinutes(1));
        assertThat(jobs.cancel("j1")).as("not held yet").isFalse();
        Record record = new Record();

        jobs.accept(job("j1"), record::ack);

        await().atMost(Duration.ofSeconds(5)).until(() -> record.acks.get() == 1);
        assertThat(announced)
                .singleElement()
                .isInstanceOfSatisfying(
                        SampleJobFailed.class,
                        failed -> assertThat(failed.cancelled()).isTrue());
        assertThat(admission.attempts).as("never admitted").hasValue(0);
    }

    static SampleJobRequested job(String id) {
        return new SampleJobRequested(
                id,
                new SamplingRequest(
                        "m", null, 1, null, null, null, null, null, null, null, null, null, null, null, null));
    }

    /** A job's record: counts its acknowledgements. */
    static final class Record {
        final AtomicInteger acks = new AtomicInteger();

        CompletionStage<Void> ack() {
            acks.incrementAndGet();
            return CompletableFuture.completedFuture(null);
        }
    }

    /** The results bucket: unreachable, or holding one job's results. */
    static final class StoredResults extends JobResults {
        volatile boolean unreachable;
        volatile SampleJobCompleted stored;
        final AtomicInteger lookups = new AtomicInteger();

        StoredResults() {
            super(null);
        }

        @Override
        public Optional<SampleJobCompleted> stored(String jobId) {
            lookups.incrementAndGet();
            if (unreachable) {
                throw new StorageException("s3 at http://127.0.0.1:1: unreachable");
            }
            return Optional.ofNullable(stored).filter(s -> s.jobId().equals(jobId));
        }

        @Override
        public SampleJobCompleted write(String jobId, ModelManifest model, List<Upload> images) {
            throw new UnsupportedOperationException();
        }
    }

    /** Admission to a replica that serves no model yet: the model is stored (being loaded) or not. */
    static final class ModelLoading extends JobAdmission {
        volatile boolean stored;
        final AtomicInteger attempts = new AtomicInteger();

        ModelLoading() {
            super(null, null, null);
        }

        @Override
        public SamplingJob admit(String jobId, SamplingRequest spec, JobListener listener) {
            attempts.incrementAndGet();
            throw new UnknownModelException("model '" + spec.model() + "' is not loaded here; loaded: []");
        }

        @Override
        public boolean awaitsModel(SamplingRequest request) {
            return stored;
        }
    }
}
