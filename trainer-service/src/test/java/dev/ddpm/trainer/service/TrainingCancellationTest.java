package dev.ddpm.trainer.service;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.CheckpointSaved;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingCancelRequested;
import dev.ddpm.core.events.TrainingCancelled;
import dev.ddpm.core.events.TrainingCompleted;
import dev.ddpm.core.events.TrainingFailed;
import dev.ddpm.core.events.TrainingProgress;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.data.SyntheticPatterns;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cancelling training runs through the running service, against the real broker, S3 server and
 * DJL: a run that would train for minutes stops within a step or two of the moment the trainer hears
 * its cancel, keeps its checkpoints, publishes nothing and ends as TrainingCancelled; a request
 * queued behind it and cancelled before it started never trains; every record, requests and cancels,
 * is acknowledged and none is dead-lettered. Requests travel on a topic of the test's own
 * ({@link PrivateRequestsTopic}), and progress is reported at every step so that the trainer's step
 * gauge says where the run stands when the cancel arrives.
 */
@QuarkusTest
@TestProfile(TrainingCancellationTest.EveryStepReported.class)
@QuarkusTestResource(value = PrivateRequestsTopic.class, restrictToAnnotatedClass = true)
class TrainingCancellationTest {

    public static class EveryStepReported implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("trainer.progress-every", "1", "trainer.grid-every", "100000");
        }
    }

    /** Far more than the test waits for: the run would still be training when it is cancelled. */
    private static final long STEPS = 100_000;

    @Inject
    ArtifactStore store;

    @Inject
    KafkaSettings kafka;

    @Inject
    RunCancellations cancellations;

    @Inject
    MeterRegistry meters;

    @ConfigProperty(name = PrivateRequestsTopic.TOPIC_PROPERTY)
    String requestsTopic;

    @ConfigProperty(name = PrivateRequestsTopic.GROUP_PROPERTY)
    String requestsGroup;

    @Test
    void aCancelledRunStopsAtItsNextStepAndAQueuedOneNeverStarts() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String dataset = "cancel-" + suffix;
        uploadPatterns(dataset);
        String model = "cancel-" + suffix;
        String running = "cancel-running-" + suffix;
        String queued = "cancel-queued-" + suffix;
        // The time box bounds the run should the cancel be lost: it then completes and publishes.
        send(new TrainingRequested(
                running,
                tiny(dataset).modelName(model).steps(STEPS).maxMinutes(3.0).build(),
                "test"));
        // Behind the running one on the topic's one partition: it waits, and is cancelled while it waits.
        send(new TrainingRequested(
                queued, tiny(dataset).modelName(model).steps(5).build(), "test"));
        send(new TrainingCancelRequested(queued, "test"));

        List<EventData> before = collect(
                running, e -> e instanceof CheckpointSaved saved && saved.step() == 10, Duration.ofSeconds(120));
        assertThat(before).as("the run trains and checkpoints").last().isInstanceOf(CheckpointSaved.class);
        assertThat(store.exists(Buckets.CHECKPOINTS, RunCancellations.markerKey(queued)))
                .as("the queued run's cancel is recorded while the running one trains")
                .isTrue();

        RecordMetadata lastSent = send(new TrainingCancelRequested(running, "test"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!cancellations.requested(running)) {
            assertThat(System.nanoTime()).as("the trainer hears the cancel").isLessThan(deadline);
            Thread.sleep(1);
        }
        // Read just after the trainer heard it: the step it had reached then, or a later one.
        double gauge = meters.get("ddpm_trainer_step").gauge().value();
        assertThat(gauge).as("the step gauge, read while the run still trains").isNotNaN();
        long stepWhenHeard = (long) gauge;

        List<EventData> events = collect(
                running,
                e -> e instanceof TrainingCancelled || e instanceof TrainingCompleted || e instanceof TrainingFailed,
                Duration.ofSeconds(60));
        assertThat(events).last().isInstanceOf(TrainingCancelled.class);
        TrainingCancelled cancelled = (TrainingCancelled) events.get(events.size() - 1);
        assertThat(cancelled.requestedBy()).isEqualTo("test");
        assertThat(cancelled.step())
                .as("stopped within a step or two of hearing the cancel at step %d", stepWhenHeard)
                .isBetween(stepWhenHeard, stepWhenHeard + 2)
                .isLessThan(STEPS);
        assertThat(events).noneMatch(TrainingCompleted.class::isInstance);
        assertThat(events)
                .filteredOn(CheckpointSaved.class::isInstance)
                .extracting(e -> ((CheckpointSaved) e).step())
                .as("its checkpoints, the last where it stopped")
                .contains(10L)
                .last()
                .isEqualTo(cancelled.step());
        var latest = new CheckpointStore(store).latest(running);
        assertThat(latest.step()).isEqualTo(cancelled.step());
        assertThat(latest.ended()).as("stopped, not ended").isFalse();
        assertThat(store.list(Buckets.CHECKPOINTS, running + "/step-")).isNotEmpty();
        assertThat(store.list(Buckets.MODELS, model + "/"))
                .as("no model version")
                .isEmpty();

        List<EventData> queuedEvents = collect(queued, TrainingCancelled.class::isInstance, Duration.ofSeconds(60));
        assertThat(queuedEvents)
                .as("the queued run never trains")
                .singleElement()
                .isInstanceOfSatisfying(TrainingCancelled.class, c -> {
                    assertThat(c.step()).isZero();
                    assertThat(c.requestedBy()).isEqualTo("test");
                });
        assertThat(store.list(Buckets.CHECKPOINTS, queued + "/step-")).isEmpty();

        awaitCommitted(new TopicPartition(lastSent.topic(), lastSent.partition()), lastSent.offset() + 1);
        assertThat(recordsFor(Topic.MODELS.topicName(), model, Duration.ofSeconds(3)))
                .as("no ModelPublished")
                .noneMatch(r -> ReceivedEvent.of(r).event().data() instanceof ModelPublished);
        assertThat(recordsFor(Topic.TRAINING_REQUESTS.topicName() + ".dlq", running, Duration.ofSeconds(2)))
                .as("nothing dead-lettered")
                .isEmpty();
        assertThat(meters.get("ddpm_trainer_runs_total")
                        .tag("outcome", "cancelled")
                        .counter()
                        .count())
                .isEqualTo(2.0);
    }

    private RecordMetadata send(EventData data) throws Exception {
        return PrivateRequestsTopic.send(requestsTopic, CloudEvent.of("/test", data));
    }

    /** The tests' request on {@code dataset}: the tiny preset, 8 images a step, checkpoints every 10 steps. */
    private static TrainingRequest.Builder tiny(String dataset) {
        return TrainingRequest.builder()
                .dataset(dataset)
                .preset("tiny")
                .batchSize(8)
                .learningRate(1e-3)
                .emaDecay(0.99)
                .seed(1L)
                .checkpointEvery(10);
    }

    private void uploadPatterns(String dataset) {
        SyntheticPatterns patterns = new SyntheticPatterns(16, 2, 2, 2, 2);
        for (int i = 0; i < patterns.size(); i++) {
            store.put(
                    Buckets.DATASETS,
                    dataset + "/img-" + i + ".png",
                    ImageEncoding.png(patterns.image(i), 1, 16),
                    "image/png");
        }
    }

    private void awaitCommitted(TopicPartition partition, long offset) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Admin admin = Admin.create(kafka.admin())) {
            while (true) {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(requestsGroup)
                        .partitionsToOffsetAndMetadata()
                        .get(10, TimeUnit.SECONDS)
                        .get(partition);
                if (committed != null && committed.offset() >= offset) {
                    return;
                }
                assertThat(System.nanoTime())
                        .as("every request and cancel acknowledged, up to offset %d", offset)
                        .isLessThan(deadline);
                Thread.sleep(250);
            }
        }
    }

    /** The records of {@code topic} under {@code key}, from the beginning, read for {@code time}. */
    private List<ConsumerRecord<String, byte[]>> recordsFor(String topic, String key, Duration time) {
        List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + time.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (key.equals(record.key())) {
                        found.add(record);
                    }
                }
            }
        }
        return found;
    }

    /** Events of one run from the beginning of ddpm.training-events, until one matches {@code last}. */
    private List<EventData> collect(String runId, Predicate<EventData> last, Duration timeout) {
        List<EventData> events = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(Topic.TRAINING_EVENTS.topicName()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (!runId.equals(record.key())) {
                        continue;
                    }
                    ReceivedEvent received = ReceivedEvent.of(record);
                    assertThat(received.rejection()).isNull();
                    EventData data = received.event().data();
                    if (!(data instanceof TrainingProgress)) {
                        events.add(data);
                    }
                    if (last.test(data)) {
                        return events;
                    }
                }
            }
        }
        return events;
    }
}
