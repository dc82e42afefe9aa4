package dev.ddpm.trainer.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.DatasetUpdated;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.lifecycle.ModelPolicy;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.LearningRateDecay;
import dev.ddpm.core.model.PredictionType;
import dev.ddpm.core.model.TensorSpec;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.DatasetOwner;
import dev.ddpm.service.testing.PoisonRecords;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.run.OutcomeRecord;
import dev.ddpm.trainer.run.RunOutcomes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Event-driven retraining on the real broker: a burst of changes to one data set (CloudEvents, a
 * duplicate, MinIO's own notification record, and garbage in between) requests exactly one run; a
 * change to a data set that production versions were trained on retrains each of those models by the
 * recipe its production manifest records, as its own retrain policy (else the global one) says. A
 * retraining is the data set owner's run (an admin's when the data set has none), and a model is
 * retrained by one run at a time, at most once per {@code trainer.retrain.min-interval}.
 */
@QuarkusTest
@TestProfile(RetrainingTest.ScratchPolicy.class)
class RetrainingTest {

    public static class ScratchPolicy implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "trainer.retrain.policy",
                    "scratch",
                    "trainer.retrain.debounce",
                    "3s",
                    "trainer.retrain.steps",
                    "5",
                    "trainer.consume-requests",
                    "false",
                    "trainer.retrain.learning-rate-decay",
                    "cosine",
                    "trainer.retrain.snr-gamma",
                    "5");
        }
    }

    @Inject
    EventPublisher publisher;

    @Inject
    KafkaSettings kafka;

    @Inject
    ArtifactStore store;

    @Inject
    MeterRegistry meters;

    @Test
    void aBurstOfChangesRequestsOneRun() throws Exception {
        String dataset = "burst-" + UUID.randomUUID().toString().substring(0, 8);
        CloudEvent<DatasetUpdated> first =
                CloudEvent.of("/test", new DatasetUpdated(dataset, dataset + "/a.png", 1L, "test"));
        publisher.publishAndWait(first, Duration.ofSeconds(30));
        publisher.publishAndWait(first, Duration.ofSeconds(30)); // duplicate
        String notification = """
                {"EventName":"s3:ObjectCreated:Put","Key":"ddpm-datasets/%s/b.png",
                 "Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"ddpm-datasets"},
                 "object":{"key":"%s%%2Fb.png","size":10}}}]}""".formatted(dataset, dataset);
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(kafka.producer())) {
            raw.send(new ProducerRecord<>(
                            Topic.DATASETS.topicName(), dataset, "{not json".getBytes(StandardCharsets.UTF_8)))
                    .get();
            // A key URLDecoder cannot decode: the kind of handler failure that used to end the consumer thread.
            String undecodable = notification.replace(dataset + "%2Fb.png", dataset + "%zz.png");
            raw.send(new ProducerRecord<>(
                            Topic.DATASETS.topicName(), dataset, undecodable.getBytes(StandardCharsets.UTF_8)))
                    .get();
            raw.send(new ProducerRecord<>(
                            Topic.DATASETS.topicName(), dataset, notification.getBytes(StandardCharsets.UTF_8)))
                    .get();
        }
        publisher.publishAndWait(
                CloudEvent.of("/test", new DatasetUpdated(dataset, dataset + "/c.png", 3L, "test")),
                Duration.ofSeconds(30));

        List<TrainingRequested> requests = requestsFor(dataset, Duration.ofSeconds(20));

        assertThat(requests).singleElement().satisfies(request -> {
            assertThat(request.requestedBy())
                    .as("a data set without an owner: an admin's run")
                    .isEqualTo("dataset-update");
            assertThat(request.trigger()).isEqualTo("dataset-update");
            assertThat(request.request().modelName()).isEqualTo(dataset);
            assertThat(request.request().steps()).isEqualTo(5);
            assertThat(request.request().cosineDecay())
                    .as("the configured decay travels with the request")
                    .isTrue();
            assertThat(request.request().snrGamma()).isEqualTo(5.0);
            assertThat(request.request().resumeFrom()).isNull();
        });
        List<ConsumerRecord<String, byte[]>> dead =
                PoisonRecords.awaitDeadLetters(kafka, Topic.DATASETS, dataset, 2, Duration.ofSeconds(30));
        assertThat(dead)
                .extracting(r -> PoisonRecords.header(r, "dead-letter-reason"))
                .satisfiesExactly(
                        reason -> assertThat(reason).contains("not valid JSON"),
                        reason -> assertThat(reason).contains("s3.object.key").contains("%zz"));
    }

    @Test
    void aChangeRetrainsEachModelByItsProductionRecipe() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String dataset = "recipe-" + suffix;
        TrainingRequest recipe = TrainingRequest.builder()
                .dataset(dataset)
                .preset("tiny")
                .timesteps(500)
                .schedule(BetaSchedule.COSINE)
                .predictionType(PredictionType.V)
                .steps(100)
                .batchSize(8)
                .learningRate(1e-3)
                .warmupSteps(10)
                .emaDecay(0.995)
                .seed(3L)
                .learningRateDecay(LearningRateDecay.COSINE)
                .horizontalFlip(false)
                .qualityEvery(50)
                .build();
        ModelLifecycle lifecycle = new ModelLifecycle(store, event -> {}, Clock.systemUTC());
        // Fine-tuned by its own policy (the global one is scratch), from its production step.
        String fineTuned = "ft-" + suffix;
        production(
                lifecycle,
                fineTuned,
                "v1",
                recipe.toBuilder().modelName(fineTuned).build(),
                "run-ft",
                80);
        lifecycle.policy(fineTuned, ModelPolicy.DEFAULT.withRetrain(ModelPolicy.Retrain.FINE_TUNE), "test");
        // No policy of its own: the global scratch, the recipe anew.
        String scratch = "sc-" + suffix;
        production(
                lifecycle, scratch, "v1", recipe.toBuilder().modelName(scratch).build(), "run-sc", 100);
        // Retraining off for this one.
        String off = "off-" + suffix;
        production(lifecycle, off, "v1", recipe.toBuilder().modelName(off).build(), "run-off", 100);
        lifecycle.policy(off, ModelPolicy.DEFAULT.withRetrain(ModelPolicy.Retrain.OFF), "test");

        publisher.publishAndWait(
                CloudEvent.of("/test", new DatasetUpdated(dataset, dataset + "/a.png", 1L, "test")),
                Duration.ofSeconds(30));
        List<TrainingRequested> requests = requestsFor(dataset, Duration.ofSeconds(15));

        assertThat(requests).extracting(r -> r.request().modelName()).containsExactlyInAnyOrder(fineTuned, scratch);
        TrainingRequest fine = requests.stream()
                .filter(r -> r.request().modelName().equals(fineTuned))
                .findFirst()
                .orElseThrow()
                .request();
        assertThat(fine.resumeFrom()).isEqualTo("run-ft");
        assertThat(fine.resumeFromStep()).as("the production version's step").isEqualTo(80L);
        assertThat(fine.steps())
                .as("the production step and trainer.retrain.steps more")
                .isEqualTo(85);
        assertThat(fine.toBuilder()
                        .modelName(null)
                        .resumeFrom(null)
                        .resumeFromStep(null)
                        .steps(100)
                        .build())
                .as("everything else is the recipe's")
                .isEqualTo(recipe);
        assertThat(fine.preset()).isEqualTo("tiny");
        assertThat(fine.diffusion()).isEqualTo(recipe.diffusion());
        assertThat(fine.batchSize()).as("not trainer.retrain.batch-size").isEqualTo(8);
        TrainingRequest fresh = requests.stream()
                .filter(r -> r.request().modelName().equals(scratch))
                .findFirst()
                .orElseThrow()
                .request();
        assertThat(fresh).isEqualTo(recipe.toBuilder().modelName(scratch).build());
        assertThat(requests).allSatisfy(r -> assertThat(r.requestedBy()).isEqualTo("dataset-update"));
    }

    @Test
    void aRetrainingIsTheDataSetOwnersRunAndAModelHasOneAtATimeAtMostOncePerInterval() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String dataset = "owned-" + suffix;
        String model = "owned-model-" + suffix;
        store.putJson(Buckets.DATASETS, DatasetOwner.key(dataset), new DatasetOwner(dataset, "key-a", Instant.now()));
        ModelLifecycle lifecycle = new ModelLifecycle(store, event -> {}, Clock.systemUTC());
        production(
                lifecycle,
                model,
                "v1",
                TrainingRequest.builder()
                        .dataset(dataset)
                        .modelName(model)
                        .steps(100)
                        .build(),
                "run-owned",
                100);

        changed(dataset);
        TrainingRequested first = awaitRequests(dataset, 1).get(0);
        assertThat(first.requestedBy())
                .as("the data set owner's run: its quota counts it, it sees and may cancel it")
                .isEqualTo("key-a");
        assertThat(first.trigger()).isEqualTo("dataset-update");

        // The interval has passed, but the first run has not ended (no trainer takes requests here).
        lastRetraining(model, first.runId(), Instant.now().minus(Duration.ofHours(2)));
        changed(dataset);
        awaitSkip("running", 1);
        assertThat(requestsOnTopic(dataset))
                .as("no second run while the first has not ended")
                .hasSize(1);

        // The first run has ended, but was requested just now: within trainer.retrain.min-interval (1h).
        new RunOutcomes(store)
                .write(new OutcomeRecord(
                        OutcomeRecord.State.COMPLETED,
                        first.runId(),
                        model,
                        100,
                        null,
                        first.runId() + "/step-100/checkpoint.json",
                        null,
                        null,
                        "key-a",
                        Instant.now()));
        lastRetraining(model, first.runId(), Instant.now());
        changed(dataset);
        awaitSkip("too-soon", 1);
        assertThat(requestsOnTopic(dataset))
                .as("no second run within the interval")
                .hasSize(1);

        lastRetraining(model, first.runId(), Instant.now().minus(Duration.ofHours(2)));
        changed(dataset);
        List<TrainingRequested> both = awaitRequests(dataset, 2);
        assertThat(both)
                .as("the first run has ended and the interval has passed: a second run")
                .hasSize(2)
                .extracting(TrainingRequested::runId)
                .contains(first.runId())
                .doesNotHaveDuplicates();
        assertThat(both).allSatisfy(r -> assertThat(r.requestedBy()).isEqualTo("key-a"));

        // The second run never ends (no trainer takes requests here), but its request is older than the
        // requests topic keeps records: it was lost, and must not block the model's retraining for ever.
        String second = both.stream()
                .map(TrainingRequested::runId)
                .filter(id -> !id.equals(first.runId()))
                .findFirst()
                .orElseThrow();
        lastRetraining(model, second, Instant.now().minus(Topic.RETENTION).minus(Duration.ofHours(1)));
        changed(dataset);
        assertThat(awaitRequests(dataset, 3))
                .as("a lost retraining run no longer blocks the model")
                .hasSize(3);
    }

    private void changed(String dataset) {
        publisher.publishAndWait(
                CloudEvent.of(
                        "/test", new DatasetUpdated(dataset, dataset + "/" + UUID.randomUUID() + ".png", 1L, "test")),
                Duration.ofSeconds(30));
    }

    /** The model's last retraining as if it had been requested at {@code at}. */
    private void lastRetraining(String model, String runId, Instant at) {
        store.putJson(Buckets.CHECKPOINTS, "_models/" + model + ".json", new RetrainSlots.LastRun(runId, at));
    }

    /** Waits until {@code more} retrainings more have been skipped for {@code reason} than before the call. */
    private void awaitSkip(String reason, int more) throws InterruptedException {
        double before = skipped(reason);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (skipped(reason) < before + more) {
            assertThat(System.nanoTime())
                    .as("a retraining skipped as " + reason)
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private double skipped(String reason) {
        Counter counter =
                meters.find(RetrainPolicy.SKIPPED_METRIC).tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Waits until at least {@code count} requests for the data set are on the topic; returns all of them. */
    private List<TrainingRequested> awaitRequests(String dataset, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<TrainingRequested> found = requestsOnTopic(dataset);
        while (found.size() < count) {
            assertThat(System.nanoTime()).as(count + " requests for " + dataset).isLessThan(deadline);
            Thread.sleep(200);
            found = requestsOnTopic(dataset);
        }
        return found;
    }

    /** The requests for the data set on the topic now: read from its start to the end it has at the call. */
    private List<TrainingRequested> requestsOnTopic(String dataset) {
        List<TrainingRequested> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topic.TRAINING_REQUESTS.topicName()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    ReceivedEvent received = ReceivedEvent.of(record);
                    if (received.valid()
                            && received.event().data() instanceof TrainingRequested request
                            && request.request().dataset().equals(dataset)) {
                        found.add(request);
                    }
                }
            }
        }
        return found;
    }

    /** A published version of {@code model} trained by {@code recipe}, made production. */
    private void production(
            ModelLifecycle lifecycle, String model, String version, TrainingRequest recipe, String runId, long step) {
        List<TensorSpec> io = List.of(new TensorSpec("x", "float32", List.of("N", "1", "8", "8")));
        ModelManifest manifest = new ModelManifest(
                ModelManifest.CURRENT_SCHEMA,
                model,
                version,
                Instant.now(),
                new ModelManifest.Training(runId, step, true, Json.tree(recipe)),
                new ModelManifest.Onnx(model + "/" + version + "/unet.onnx", 1, "0".repeat(64), 17, io, io),
                new ModelManifest.Image(1, 8, 8),
                recipe.diffusion(),
                UNetPresets.byName("tiny"),
                null,
                null,
                null);
        store.putJson(Buckets.MODELS, model + "/" + version + "/manifest.json", manifest);
        lifecycle.published(model, version, null, "test");
    }

    private List<TrainingRequested> requestsFor(String dataset, Duration window) {
        List<TrainingRequested> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(Topic.TRAINING_REQUESTS.topicName()));
            long deadline = System.nanoTime() + window.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    ReceivedEvent received = ReceivedEvent.of(record);
                    if (received.valid()
                            && received.event().data() instanceof TrainingRequested request
                            && request.request().dataset().equals(dataset)) {
                        found.add(request);
                    }
                }
            }
        }
        return found;
    }
}
