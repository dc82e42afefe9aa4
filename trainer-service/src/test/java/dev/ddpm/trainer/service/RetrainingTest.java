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
import dev.ddpm.service.testing.PoisonRecords;
import dev.ddpm.trainer.model.UNetPresets;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
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
 * recipe its production manifest records, as its own retrain policy (else the global one) says.
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
            assertThat(request.requestedBy()).isEqualTo("dataset-update");
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
