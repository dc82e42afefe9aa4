package dev.ddpm.trainer.messaging;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingCompleted;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.events.TrainingStarted;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.testing.TestStack;
import dev.ddpm.service.testing.TestOnlySigningKeys;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.checkpoint.CheckpointWait;
import dev.ddpm.trainer.data.SyntheticPatterns;
import dev.ddpm.trainer.run.OutcomeRecord;
import dev.ddpm.trainer.run.OutcomeRecord.State;
import dev.ddpm.trainer.run.RunAttempts;
import dev.ddpm.trainer.run.RunLease;
import dev.ddpm.trainer.run.RunOutcomes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A training request is acknowledged only when its run has ended, through the packaged service
 * against the real broker and S3 server: the trainer killed with SIGKILL mid-run leaves the request
 * uncommitted, the restarted trainer receives it again and resumes the run from its checkpoint,
 * the offset is committed once the run has completed, and the same request sent again starts
 * nothing.
 */
class TrainingRequestAcknowledgementIT {

    private static final int STEPS = 40;
    private static final String GROUP = "ddpm-trainer-service";
    private static ArtifactStore store;
    private static KafkaSettings kafka;

    @BeforeAll
    static void open() {
        store = new ArtifactStore(TestStack.s3());
        store.ensureBuckets(Buckets.ALL);
        kafka = TestStack.kafka("ack-it");
    }

    @AfterAll
    static void close() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void aRequestIsCommittedOnlyAfterItsRunEndsAndSurvivesAKilledTrainer() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String dataset = "ack-" + suffix;
        String run = "ack-run-" + suffix;
        SyntheticPatterns patterns = new SyntheticPatterns(16, 2, 2, 2, 2);
        for (int i = 0; i < patterns.size(); i++) {
            store.put(
                    Buckets.DATASETS,
                    dataset + "/img-" + i + ".png",
                    ImageEncoding.png(patterns.image(i), 1, 16),
                    "image/png");
        }
        TrainingRequested request = new TrainingRequested(
                run,
                TrainingRequest.builder()
                        .dataset(dataset)
                        .steps(STEPS)
                        .batchSize(8)
                        .learningRate(1e-3)
                        .emaDecay(0.99)
                        .seed(1L)
                        .checkpointEvery(10)
                        .build(),
                "test");

        Process first = trainer("first");
        RecordMetadata sent;
        try (EventPublisher publisher = new EventPublisher(kafka, "/test")) {
            sent = publisher.publishAndWait(CloudEvent.of("/test", request), Duration.ofSeconds(30));
        }
        TopicPartition partition = new TopicPartition(sent.topic(), sent.partition());
        CheckpointWait.atLeast(store, run, 10, first);
        assertThat(committed(partition))
                .as("not committed while the run trains")
                .isLessThanOrEqualTo(sent.offset());
        first.destroyForcibly(); // SIGKILL: no shutdown, no final checkpoint, no commit
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long stepAtKill = new CheckpointStore(store).latest(run).step();
        assertThat(stepAtKill).isLessThan(STEPS);

        Process second = trainer("second");
        try {
            List<EventData> events = collect(run, TrainingCompleted.class::isInstance, Duration.ofMinutes(4));
            List<TrainingStarted> starts = events.stream()
                    .filter(TrainingStarted.class::isInstance)
                    .map(TrainingStarted.class::cast)
                    .toList();
            assertThat(starts)
                    .extracting(TrainingStarted::startStep)
                    .as("a fresh start, then the resume")
                    .containsExactly(0L, stepAtKill);
            assertThat(events.get(events.size() - 1))
                    .isInstanceOfSatisfying(
                            TrainingCompleted.class,
                            c -> assertThat(c.finalStep()).isEqualTo(STEPS));
            awaitCommitted(partition, sent.offset() + 1);
            OutcomeRecord outcome = new RunOutcomes(store).find(run).orElseThrow();
            assertThat(outcome.state())
                    .as("stored before the request was acknowledged")
                    .isEqualTo(State.COMPLETED);
            assertThat(outcome.step()).isEqualTo(STEPS);
            assertThat(new RunAttempts(store, 3, Clock.systemUTC()).previous(run))
                    .as("the attempt that ended the run took its start back: only starts that end the process count")
                    .isEmpty();
            assertThat(store.getJson(Buckets.CHECKPOINTS, RunLease.key(run), RunLease.Holder.class)
                            .epoch())
                    .as("each attempt took the lease in turn")
                    .isEqualTo(2);

            try (EventPublisher publisher = new EventPublisher(kafka, "/test")) {
                RecordMetadata again =
                        publisher.publishAndWait(CloudEvent.of("/test", request), Duration.ofSeconds(30));
                awaitCommitted(new TopicPartition(again.topic(), again.partition()), again.offset() + 1);
            }
            List<EventData> after = collect(run, e -> false, Duration.ofSeconds(3));
            assertThat(after.stream().filter(TrainingStarted.class::isInstance).count())
                    .as("the request of a finished run is acknowledged without training again")
                    .isEqualTo(2);
            assertThat(after)
                    .filteredOn(TrainingCompleted.class::isInstance)
                    .as("its stored end announced again, the same completion")
                    .hasSize(2)
                    .extracting(e -> ((TrainingCompleted) e).finalStep())
                    .containsOnly((long) STEPS);
        } finally {
            second.destroy();
            second.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The packaged trainer service; a short session timeout so a killed member leaves the group soon. */
    private static Process trainer(String name) throws IOException {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
        assertThat(jar).as("the packaged service (mvn package)").exists();
        Path log = Files.createTempFile("trainer-" + name + "-", ".log");
        ProcessBuilder builder = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Dquarkus.http.port=0",
                        "-Dtrainer.threads=1",
                        "-Dtrainer.export.on-completion=false",
                        "-Dtrainer.progress-every=5",
                        "-Dtrainer.grid-every=1000",
                        "-Dmp.messaging.incoming.training-requests.session.timeout.ms=6000",
                        "-Dmp.messaging.incoming.training-requests.heartbeat.interval.ms=1000",
                        "-jar",
                        jar.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("OMP_NUM_THREADS", "1");
        // The packaged service runs in the prod profile, which requires a signing key.
        builder.environment().put("TRAINER_SIGNING_PRIVATE_KEY", TestOnlySigningKeys.PRIVATE_KEY);
        System.out.println("trainer " + name + " logs to " + log);
        return builder.start();
    }

    private static long committed(TopicPartition partition) throws Exception {
        try (Admin admin = Admin.create(kafka.admin())) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(GROUP)
                    .partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS)
                    .get(partition);
            return offset == null ? -1 : offset.offset();
        }
    }

    private static void awaitCommitted(TopicPartition partition, long offset) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (committed(partition) < offset) {
            assertThat(System.nanoTime())
                    .as("offset %d of %s committed", offset, partition)
                    .isLessThan(deadline);
            Thread.sleep(250);
        }
    }

    /** Events of {@code run} on ddpm.training-events from the start, until {@code last} matches or time is up. */
    private static List<EventData> collect(String run, Predicate<EventData> last, Duration timeout) {
        List<EventData> found = new ArrayList<>();
        Map<String, Object> config = kafka.consumer("test-" + UUID.randomUUID());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(Topic.TRAINING_EVENTS.topicName()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    ReceivedEvent received = ReceivedEvent.of(record);
                    if (run.equals(record.key()) && received.valid()) {
                        found.add(received.event().data());
                        if (last.test(received.event().data())) {
                            return found;
                        }
                    }
                }
            }
        }
        return found;
    }
}
