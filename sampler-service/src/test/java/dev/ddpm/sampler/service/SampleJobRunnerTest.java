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
import dev.ddpm.sampler.batching.SamplerShuttingDownException;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.registry.UnknownModelException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
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

        assertThat(jobs.accept(job("j1"), Instant.now(), record::ack).toCompletableFuture())
                .isDone();
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

        jobs.accept(job("j1"), Instant.now(), record::ack);

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

        jobs.accept(job("j1"), Instant.now(), record::ack);

        await().atMost(Duration.ofSeconds(5)).until(() -> failingAnnouncements.get() == 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> record.acks.get() == 1);
        assertThat(announced).containsExactly(results.stored);
    }

    @Test
    void aJobTheShutdownRefusesOrStopsIsNeitherAnnouncedNorAcknowledgedSoItIsDeliveredAgain() throws Exception {
        SampleJobRunner jobs = runner(4, Duration.ofMinutes(1));
        admission.refusal = new SamplerShuttingDownException("it takes no new requests", Duration.ofSeconds(1));
        Record refused = new Record();
        jobs.accept(job("j1"), Instant.now(), refused::ack);
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.attempts.get() >= 2);
        assertThat(jobs.stage("j1")).contains("waiting");

        admission.refusal = null;
        admission.taken = new CompletableFuture<>();
        Record stopped = new Record();
        jobs.accept(job("j2"), Instant.now(), stopped::ack);
        JobListener listener = admission.taken.get(5, java.util.concurrent.TimeUnit.SECONDS);
        listener.failed(new SamplerShuttingDownException("the drain time is up", Duration.ofSeconds(1)));

        // The runner marks the job sampling once admission returns, which may come just after the listener was heard.
        await().atMost(Duration.ofSeconds(5)).until(() -> jobs.stage("j2").equals(Optional.of("sampling")));
        assertThat(announced).as("a shutdown is no job's outcome").isEmpty();
        assertThat(refused.acks).hasValue(0);
        assertThat(stopped.acks).hasValue(0);
    }

    @Test
    void aJobForAModelBeingLoadedWaitsAndOneForAModelThatDoesNotExistFailsAtOnce() {
        SampleJobRunner jobs = runner(4, Duration.ofMinutes(1));
        admission.stored = true;
        Record waiting = new Record();
        jobs.accept(job("j1"), Instant.now(), waiting::ack);
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.attempts.get() >= 3);
        assertThat(announced).isEmpty();

        admission.stored = false;
        Record unknown = new Record();
        jobs.accept(job("j2"), Instant.now(), unknown::ack);
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

        assertThat(jobs.accept(job("j1"), Instant.now(), first::ack).toCompletableFuture())
                .isDone();
        CompletableFuture<Void> room =
                jobs.accept(job("j2"), Instant.now(), second::ack).toCompletableFuture();
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

        jobs.accept(job("j1"), Instant.now(), record::ack);

        await().atMost(Duration.ofSeconds(5)).until(() -> record.acks.get() == 1);
        assertThat(announced)
                .singleElement()
                .isInstanceOfSatisfying(
                        SampleJobFailed.class,
                        failed -> assertThat(failed.cancelled()).isTrue());
        assertThat(admission.attempts).as("never admitted").hasValue(0);
    }

    @Test
    void aRecordDeliveringAHeldJobAgainIsAcknowledgedOnlyWithTheJobsOwnWhenItEnds() {
        SampleJobRunner jobs = runner(4, Duration.ofMinutes(1));
        admission.stored = true; // waits for its model
        Record first = new Record();
        Record again = new Record();

        jobs.accept(job("j1"), Instant.now(), first::ack);
        assertThat(jobs.accept(job("j1"), Instant.now(), again::ack).toCompletableFuture())
                .isDone();
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.attempts.get() >= 2);
        assertThat(again.acks).as("not committed past a job still held").hasValue(0);
        assertThat(jobs.held()).isEqualTo(1);

        jobs.cancel("j1");

        await().atMost(Duration.ofSeconds(5)).until(() -> first.acks.get() == 1 && again.acks.get() == 1);
        assertThat(announced).singleElement().isInstanceOf(SampleJobFailed.class);
    }

    @Test
    void aFailureIsStoredBeforeItIsAnnouncedAndARedeliveryAnnouncesItAgainInsteadOfRunning() {
        SampleJobRunner jobs = runner(4, Duration.ofMinutes(1));
        Record record = new Record();
        jobs.accept(job("j1"), Instant.now(), record::ack); // the model does not exist

        await().atMost(Duration.ofSeconds(5)).until(() -> record.acks.get() == 1);
        assertThat(results.stored).as("stored").isInstanceOf(SampleJobFailed.class);
        assertThat(announced).containsExactly(results.stored);
        int attempts = admission.attempts.get();

        admission.stored = true; // were it run again, it would wait for its model
        Record redelivered = new Record();
        jobs.accept(job("j1"), Instant.now(), redelivered::ack);

        await().atMost(Duration.ofSeconds(5)).until(() -> redelivered.acks.get() == 1);
        assertThat(announced).containsExactly(results.stored, results.stored);
        assertThat(admission.attempts).as("not run again").hasValue(attempts);
    }

    @Test
    void theDeadlineCountsFromTheRequestSoARedeliveredOldRecordFailsAtOnce() {
        SampleJobRunner jobs = runner(4, Duration.ofMinutes(1));
        admission.stored = true; // would wait for its model
        Record record = new Record();

        jobs.accept(job("j1"), Instant.now().minus(Duration.ofMinutes(2)), record::ack);

        await().atMost(Duration.ofSeconds(5)).until(() -> record.acks.get() == 1);
        assertThat(announced)
                .singleElement()
                .isInstanceOfSatisfying(
                        SampleJobFailed.class,
                        failed -> assertThat(failed.reason()).startsWith("deadline exceeded"));
    }

    @Test
    void s3AwayHoldsEveryWaitingJobBackTogetherAndDeadlinesAreStillEnforced() {
        SampleJobRunner jobs = runner(16, Duration.ofSeconds(2));
        results.unreachable = true;
        List<Record> records = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 10; i++) {
            Record record = new Record();
            records.add(record);
            jobs.accept(job("j" + i), Instant.now(), record::ack);
        }

        await().atMost(Duration.ofSeconds(5)).until(() -> results.lookups.get() >= 5);
        assertThat(results.lookedUp)
                .as("each pass ends at the first job that meets S3 away")
                .containsExactly("j0");

        await().atMost(Duration.ofSeconds(10)).until(() -> records.stream().allMatch(record -> record.acks.get() == 1));
        assertThat(announced)
                .hasSize(10)
                .allSatisfy(outcome ->
                        assertThat(((SampleJobFailed) outcome).reason()).startsWith("deadline exceeded"));
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

    /** The results bucket: unreachable, or holding one job's outcome. */
    static final class StoredResults extends JobResults {
        volatile boolean unreachable;
        volatile EventData stored;
        final AtomicInteger lookups = new AtomicInteger();
        final Set<String> lookedUp = ConcurrentHashMap.newKeySet();

        StoredResults() {
            super(null);
        }

        @Override
        public Optional<EventData> stored(String jobId) {
            lookups.incrementAndGet();
            lookedUp.add(jobId);
            if (unreachable) {
                throw new StorageException("s3 at http://127.0.0.1:1: unreachable");
            }
            return Optional.ofNullable(stored).filter(s -> s.partitionKey().equals(jobId));
        }

        @Override
        public synchronized EventData storeFailure(SampleJobFailed failed) {
            if (unreachable) {
                throw new StorageException("s3 at http://127.0.0.1:1: unreachable");
            }
            if (stored == null) {
                stored = failed;
            }
            return stored;
        }

        @Override
        public SampleJobCompleted write(String jobId, String requestedBy, ModelManifest model, List<Upload> images) {
            throw new UnsupportedOperationException();
        }
    }

    /** Admission to a replica that serves no model yet: the model is stored (being loaded) or not. */
    static final class ModelLoading extends JobAdmission {
        volatile boolean stored;
        final AtomicInteger attempts = new AtomicInteger();
        /** When set, admission throws it (the batcher's refusal). */
        volatile RuntimeException refusal;
        /** When set, admission takes the job and hands its listener here, as the batcher would. */
        volatile CompletableFuture<JobListener> taken;

        ModelLoading() {
            super(null, null, null);
        }

        @Override
        public SamplingJob admit(String jobId, SamplingRequest spec, JobListener listener) {
            attempts.incrementAndGet();
            if (refusal != null) {
                throw refusal;
            }
            if (taken != null) {
                taken.complete(listener);
                return null;
            }
            throw new UnknownModelException("model '" + spec.model() + "' is not loaded here; loaded: []");
        }

        @Override
        public boolean awaitsModel(SamplingRequest request) {
            return stored;
        }
    }
}
