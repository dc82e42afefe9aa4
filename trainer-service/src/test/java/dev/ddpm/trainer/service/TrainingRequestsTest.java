package dev.ddpm.trainer.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.CheckpointSaved;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingCompleted;
import dev.ddpm.core.events.TrainingFailed;
import dev.ddpm.core.events.TrainingProgress;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.events.TrainingStarted;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.model.LearningRateDecay;
import dev.ddpm.core.signing.ManifestVerifier;
import dev.ddpm.core.signing.SigningKeys;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.service.testing.TestOnlySigningKeys;
import dev.ddpm.trainer.data.Bombs;
import dev.ddpm.trainer.data.SyntheticPatterns;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;

/**
 * The trainer as the platform drives it: a TrainingRequested on the real broker makes the running
 * service fetch the data set from the real S3 server, train, checkpoint, store a sample grid and
 * the loss curve, and report every stage on ddpm.training-events. Duplicates and malformed records
 * start nothing and do not block what comes after them.
 */
@QuarkusTest
class TrainingRequestsTest {

    @Inject
    EventPublisher publisher;

    @Inject
    ArtifactStore store;

    @Inject
    KafkaSettings kafka;

    @Inject
    TrainingService trainings;

    @Test
    void aRequestTrainsCheckpointsAndReportsThenDuplicatesAndGarbageAreSkipped() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String dataset = "patterns-" + suffix;
        uploadPatterns(dataset);
        store.put(Buckets.DATASETS, dataset + "/broken.png", new byte[] {1, 2, 3}, "image/png");

        String run = "run-" + suffix;
        CloudEvent<TrainingRequested> request = CloudEvent.of(
                "/test",
                new TrainingRequested(
                        run,
                        tiny(dataset)
                                .modelName("patterns-" + suffix)
                                .steps(20)
                                .learningRateDecay(LearningRateDecay.COSINE)
                                .snrGamma(5.0)
                                .build(),
                        "test"));
        var settings = trainings.plan(request.data()).settings();
        assertThat(settings.decaySteps())
                .as("cosine decay over the run's steps")
                .isEqualTo(20);
        assertThat(settings.snrGamma()).as("Min-SNR weighting requested").isEqualTo(5f);
        publisher.publishAndWait(request, Duration.ofSeconds(30));

        List<EventData> events = collect(
                run, e -> e instanceof TrainingCompleted || e instanceof TrainingFailed, Duration.ofSeconds(180));

        assertThat(events.get(0)).isInstanceOfSatisfying(TrainingStarted.class, started -> {
            assertThat(started.parameterCount()).isPositive();
            assertThat(started.totalSteps()).isEqualTo(20);
            assertThat(started.startStep()).isZero();
        });
        assertThat(events).filteredOn(TrainingProgress.class::isInstance).hasSize(4);
        assertThat(events)
                .filteredOn(CheckpointSaved.class::isInstance)
                .extracting(e -> ((CheckpointSaved) e).step())
                .containsExactly(10L, 20L);
        assertThat(events.get(events.size() - 1)).isInstanceOfSatisfying(TrainingCompleted.class, done -> {
            assertThat(done.finalStep()).isEqualTo(20);
            assertThat(done.modelVersion()).endsWith("-s20");
        });
        // The completed run published its model: files, manifest last, and the announcement.
        String model = "patterns-" + suffix;
        String version = ((TrainingCompleted) events.get(events.size() - 1)).modelVersion();
        ModelManifest manifest =
                store.getJson(Buckets.MODELS, model + "/" + version + "/manifest.json", ModelManifest.class);
        assertThat(manifest.training().step()).isEqualTo(20);
        assertThat(manifest.training().ema()).isTrue();
        assertThat(manifest.onnx().opset()).isEqualTo(17);
        assertThat(manifest.metrics().get("onnx_parity_max_abs_diff")).isLessThanOrEqualTo(1e-4);
        assertThat(store.storedSha256(Buckets.MODELS, manifest.onnx().key()))
                .contains(manifest.onnx().sha256());
        assertThat(store.exists(Buckets.MODELS, model + "/" + version + "/samples.png"))
                .isTrue();
        ModelPublished published = awaitPublished(model, version);
        assertThat(published.manifestKey()).isEqualTo(model + "/" + version + "/manifest.json");
        // Signed with the key the test profile configures, which the sampler's test profile trusts.
        new ManifestVerifier(List.of(SigningKeys.publicKey(TestOnlySigningKeys.PUBLIC_KEY, "the test-only key")))
                .verify(
                        store,
                        Buckets.MODELS,
                        published.manifestKey(),
                        store.get(Buckets.MODELS, published.manifestKey()));

        // The run is over: its outcome is counted, and the gauges no longer report a training loss.
        given().get("/q/metrics")
                .then()
                .statusCode(200)
                .body(containsString("ddpm_trainer_runs_total{outcome=\"completed\"}"))
                .body(containsString("ddpm_trainer_active 0.0"))
                .body(containsString("ddpm_trainer_loss NaN"));

        // On demand through REST, with the operator key only: a new version of another name; bad requests
        // are answered precisely.
        given().contentType("application/json")
                .body("{\"runId\":\"" + run + "\",\"model\":\"" + model + "-stolen\"}")
                .post("/v1/exports")
                .then()
                .statusCode(401)
                .contentType("application/problem+json");
        assertThat(store.list(Buckets.MODELS, model + "-stolen/")).isEmpty();
        String exported = given().header("x-operator-key", "test-operator-key")
                .contentType("application/json")
                .body("{\"runId\":\"" + run + "\",\"model\":\"" + model + "-raw\",\"weights\":\"trained\"}")
                .post("/v1/exports")
                .then()
                .statusCode(201)
                .extract()
                .path("version");
        assertThat(awaitPublished(model + "-raw", exported).name()).isEqualTo(model + "-raw");
        assertThat(store.getJson(Buckets.MODELS, model + "-raw/" + exported + "/manifest.json", ModelManifest.class)
                        .training()
                        .ema())
                .isFalse();
        given().header("x-operator-key", "test-operator-key")
                .contentType("application/json")
                .body("{\"runId\":\"../etc\"}")
                .post("/v1/exports")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("detail", containsString("runId"));
        given().header("x-operator-key", "test-operator-key")
                .contentType("application/json")
                .body("{\"runId\":\"" + run + "\",\"weights\":\"best\"}")
                .post("/v1/exports")
                .then()
                .statusCode(400)
                .body("detail", containsString("weights"));
        given().header("x-operator-key", "test-operator-key")
                .contentType("application/json")
                .body("{\"runId\":\"no-such-run-" + suffix + "\"}")
                .post("/v1/exports")
                .then()
                .statusCode(404)
                .contentType("application/problem+json");
        assertThat(store.exists(Buckets.CHECKPOINTS, run + "/latest.json")).isTrue();
        var grid = ImageIO.read(new ByteArrayInputStream(store.get(Buckets.CHECKPOINTS, run + "/samples/step-20.png")));
        assertThat(grid.getWidth()).isEqualTo(4 * 16 + 5 * 2);
        assertThat(store.exists(Buckets.CHECKPOINTS, run + "/loss.png")).isTrue();

        // The same event again, a record that is not an event, then a request that cannot run.
        publisher.publishAndWait(request, Duration.ofSeconds(30));
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(kafka.producer())) {
            raw.send(new ProducerRecord<>(Topic.TRAINING_REQUESTS.topicName(), run, "garbage".getBytes()))
                    .get();
        }
        String badRun = "bad-" + suffix;
        publisher.publishAndWait(
                CloudEvent.of(
                        "/test",
                        new TrainingRequested(
                                badRun,
                                tiny(dataset)
                                        .modelName("x")
                                        .preset("huge")
                                        .steps(5)
                                        .build(),
                                "test")),
                Duration.ofSeconds(30));

        List<EventData> bad = collect(badRun, TrainingFailed.class::isInstance, Duration.ofSeconds(60));
        assertThat(((TrainingFailed) bad.get(bad.size() - 1)).reason()).contains("unknown preset 'huge'");
        Thread.sleep(2000);
        assertThat(collect(run, e -> false, Duration.ofSeconds(3)))
                .as("the duplicate request started nothing")
                .filteredOn(TrainingStarted.class::isInstance)
                .hasSize(1);
    }

    @Test
    void aTimeBoxedRequestEndsAtItsLimitPublishesAndARedeliveryStartsNothing() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String dataset = "boxed-" + suffix;
        uploadPatterns(dataset);
        String run = "boxed-run-" + suffix;
        // 6 ms of training: over after the first step, far from the 100,000 asked for.
        TrainingRequested requested = new TrainingRequested(
                run,
                tiny(dataset)
                        .steps(100_000)
                        .batchSize(4)
                        .checkpointEvery(50_000)
                        .learningRateDecay(LearningRateDecay.COSINE)
                        .maxMinutes(0.0001)
                        .build(),
                "test");
        publisher.publishAndWait(CloudEvent.of("/test", requested), Duration.ofSeconds(30));

        List<EventData> events = collect(
                run, e -> e instanceof TrainingCompleted || e instanceof TrainingFailed, Duration.ofSeconds(120));
        TrainingCompleted done = (TrainingCompleted) events.get(events.size() - 1);
        assertThat(done.finalStep()).isBetween(1L, 99_999L);
        assertThat(done.modelVersion()).endsWith("-s" + done.finalStep());
        assertThat(events)
                .filteredOn(CheckpointSaved.class::isInstance)
                .extracting(e -> ((CheckpointSaved) e).step())
                .containsExactly(done.finalStep());
        assertThat(store.exists(Buckets.CHECKPOINTS, run + "/samples/step-" + done.finalStep() + ".png"))
                .isTrue();
        ModelPublished published = awaitPublished(dataset, done.modelVersion());
        assertThat(published.name()).isEqualTo(dataset);
        assertThat(store.getJson(Buckets.MODELS, published.manifestKey(), ModelManifest.class)
                        .training()
                        .trainingRequest())
                .as("the request it was trained by, whole")
                .contains(requested.request());

        // The same request as a new event (a producer's retry, a replay): the run has ended, nothing starts.
        publisher.publishAndWait(CloudEvent.of("/test", requested), Duration.ofSeconds(30));
        Thread.sleep(5000);
        assertThat(collect(run, e -> false, Duration.ofSeconds(3)))
                .as("the redelivered request started nothing")
                .filteredOn(TrainingStarted.class::isInstance)
                .hasSize(1);
    }

    /** A gzip'd IDX of 64 MB of pixels, under 100 KB on the wire, against the test limit of 32 MiB. */
    @Test
    void aDecompressionBombFailsTheRunNamingTheLimit() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String dataset = "bomb-" + suffix;
        byte[] gz = Bombs.gzippedIdx();
        assertThat(gz.length).isLessThan(100 << 10);
        store.put(Buckets.DATASETS, dataset + "/train-images-idx3-ubyte.gz", gz, "application/gzip");
        String run = "bomb-run-" + suffix;
        publisher.publishAndWait(
                CloudEvent.of(
                        "/test",
                        new TrainingRequested(run, tiny(dataset).steps(5).build(), "test")),
                Duration.ofSeconds(30));
        List<EventData> events = collect(run, TrainingFailed.class::isInstance, Duration.ofSeconds(60));
        assertThat(events)
                .last()
                .isInstanceOfSatisfying(
                        TrainingFailed.class,
                        failed -> assertThat(failed.reason()).contains("expands past the limit of 33554432 bytes"));
    }

    /**
     * The grid and the loss curve cannot be written (objects named like their folders block their keys, as
     * S3 and MinIO refuse a key below an object): the run still completes and publishes.
     */
    @Test
    void aRunWhosePicturesCannotBeStoredStillCompletes() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String dataset = "blocked-" + suffix;
        uploadPatterns(dataset);
        String run = "blocked-run-" + suffix;
        store.put(Buckets.CHECKPOINTS, run + "/samples", new byte[] {1}, "application/octet-stream");
        store.put(Buckets.CHECKPOINTS, run + "/loss.png/blocker", new byte[] {1}, "application/octet-stream");
        assertThatThrownBy(
                        () -> store.put(Buckets.CHECKPOINTS, run + "/samples/step-5.png", new byte[] {1}, "image/png"))
                .as("the server refuses the grid's key")
                .isInstanceOf(StorageException.class);
        publisher.publishAndWait(
                CloudEvent.of(
                        "/test",
                        new TrainingRequested(run, tiny(dataset).steps(5).build(), "test")),
                Duration.ofSeconds(30));
        List<EventData> events = collect(
                run, e -> e instanceof TrainingFailed || e instanceof TrainingCompleted, Duration.ofSeconds(120));
        assertThat(events).last().isInstanceOf(TrainingCompleted.class);
    }

    /** A fine-tune of a run that has no checkpoint fails naming it, instead of training from step 0 and publishing. */
    @Test
    void aFineTuneOfARunWithoutCheckpointsFailsInsteadOfStartingOver() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String dataset = "orphan-" + suffix;
        uploadPatterns(dataset);
        String run = "orphan-run-" + suffix;
        publisher.publishAndWait(
                CloudEvent.of(
                        "/test",
                        new TrainingRequested(
                                run,
                                tiny(dataset)
                                        .steps(5)
                                        .resumeFrom("no-such-run-" + suffix)
                                        .build(),
                                "test")),
                Duration.ofSeconds(30));
        List<EventData> events = collect(
                run, e -> e instanceof TrainingFailed || e instanceof TrainingCompleted, Duration.ofSeconds(60));
        assertThat(events)
                .last()
                .isInstanceOfSatisfying(
                        TrainingFailed.class,
                        failed -> assertThat(failed.reason())
                                .contains("fine-tunes run no-such-run-" + suffix)
                                .contains("no usable checkpoint"));
        assertThat(store.list(Buckets.MODELS, dataset + "/"))
                .as("nothing published")
                .isEmpty();
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

    /** A small data set of 16x16 synthetic patterns as PNGs in the real S3 server. */
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

    /** The ModelPublished of {@code name} at {@code version}, read from the compacted models topic. */
    private ModelPublished awaitPublished(String name, String version) {
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(Topic.MODELS.topicName()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (name.equals(record.key())
                            && ReceivedEvent.of(record).event().data() instanceof ModelPublished p
                            && p.version().equals(version)) {
                        return p;
                    }
                }
            }
        }
        throw new AssertionError("no ModelPublished for " + name + " " + version);
    }

    /** Events of one run from the beginning of the topic, until one matches {@code last} or time is up. */
    private List<EventData> collect(String runId, Predicate<EventData> last, Duration timeout) {
        Map<String, Object> config = kafka.consumer("test-" + UUID.randomUUID());
        List<EventData> events = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(Topic.TRAINING_EVENTS.topicName()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (!runId.equals(record.key())) {
                        continue;
                    }
                    ReceivedEvent received = ReceivedEvent.of(record);
                    assertThat(received.rejection()).isNull();
                    events.add(received.event().data());
                    if (last.test(received.event().data())) {
                        return events;
                    }
                }
            }
        }
        return events;
    }
}
