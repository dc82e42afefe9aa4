package dev.ddpm.trainer.cli;

import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.ModelAliasChanged;
import dev.ddpm.core.events.ModelVersionDeleted;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingCancelRequested;
import dev.ddpm.core.lifecycle.AliasChange;
import dev.ddpm.core.lifecycle.CanarySplit;
import dev.ddpm.core.lifecycle.ModelAliasStore;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.lifecycle.ModelPolicy;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.testing.TestStack;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lifecycle commands against the real S3 server and broker, as an operator runs them: the alias
 * document changes, the change is announced, the history says who did what, and what the model's
 * state forbids (deleting production) fails with the reason and changes nothing.
 */
class LifecycleCommandsTest {

    private static ArtifactStore store;
    private static KafkaSettings kafka;

    @BeforeAll
    static void open() {
        store = new ArtifactStore(TestStack.s3());
        store.ensureBuckets(Buckets.ALL);
        kafka = TestStack.kafka("cli-lifecycle-test");
    }

    @AfterAll
    static void close() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void promoteRollbackCanaryPolicyAndDeleteChangeTheAliasesAndDeletingProductionIsRefused() {
        String model = "cli-model-" + UUID.randomUUID().toString().substring(0, 8);
        ModelLifecycle trainer = new ModelLifecycle(store, event -> {}, Clock.systemUTC());
        // Each version's files, then its publication, as the trainer does; v3 is stored but never announced.
        for (String version : List.of("v1", "v2", "v3")) {
            store.put(
                    Buckets.MODELS,
                    model + "/" + version + "/unet.onnx",
                    new byte[] {1, 2, 3},
                    "application/octet-stream");
            store.put(Buckets.MODELS, model + "/" + version + "/manifest.json", "{}".getBytes(), "application/json");
            if (!version.equals("v3")) {
                trainer.published(model, version, "key-owner", "trainer");
            }
        }

        CliRun shown = CliRun.of("models", "aliases", model);
        assertThat(shown.exitCode()).as(shown.err()).isZero();
        assertThat(shown.out())
                .contains("model " + model + " (revision 2, owner key-owner)")
                .contains("production  v1")
                .contains("candidate   v2")
                .contains("canary      none")
                .contains("promotion auto, margin 0.1")
                .contains("published: production -> v1 (by trainer: the model's first version)")
                .contains("published: candidate -> v2 (by trainer");

        CliRun promoted = CliRun.of("models", "promote", model, "v2", "--reason", "better FLD");
        assertThat(promoted.exitCode()).as(promoted.err()).isZero();
        assertThat(promoted.out()).contains("production is v2 (revision 3)");
        assertThat(aliases(model).production()).contains("v2");
        assertThat(aliases(model).candidate()).isEmpty();

        CliRun refused = CliRun.of("models", "delete", model, "v2");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).startsWith("error: ").contains("v2 is production");
        assertThat(store.exists(Buckets.MODELS, model + "/v2/manifest.json")).isTrue();
        assertThat(aliases(model).revision()).as("nothing changed").isEqualTo(3);

        CliRun rolledBack = CliRun.of("models", "rollback", model);
        assertThat(rolledBack.exitCode()).as(rolledBack.err()).isZero();
        assertThat(rolledBack.out()).contains("production is back at v1");
        assertThat(aliases(model).production()).contains("v1");

        assertThat(CliRun.of("models", "canary", model, "v3", "10").exitCode()).isZero();
        assertThat(aliases(model).canary()).isEqualTo(new CanarySplit("v3", 10));
        CliRun canaryInUse = CliRun.of("models", "delete", model, "v3");
        assertThat(canaryInUse.exitCode()).isEqualTo(1);
        assertThat(canaryInUse.err()).contains("canary");
        assertThat(CliRun.of("models", "canary", model, "--off").exitCode()).isZero();
        assertThat(aliases(model).canary()).isNull();

        CliRun policy = CliRun.of(
                "models", "policy", model, "--promotion", "manual", "--margin", "0.2", "--retrain", "fine-tune");
        assertThat(policy.exitCode()).as(policy.err()).isZero();
        assertThat(policy.out()).contains("promotion manual, margin 0.2, retrain fine-tune");
        assertThat(aliases(model).policy())
                .isEqualTo(new ModelPolicy(ModelPolicy.Promotion.MANUAL, 0.2, ModelPolicy.Retrain.FINE_TUNE));
        CliRun marginOnly = CliRun.of("models", "policy", model, "--margin", "0.05");
        assertThat(marginOnly.exitCode()).as(marginOnly.err()).isZero();
        assertThat(aliases(model).policy())
                .as("the options not given keep their values")
                .isEqualTo(new ModelPolicy(ModelPolicy.Promotion.MANUAL, 0.05, ModelPolicy.Retrain.FINE_TUNE));

        CliRun deleted = CliRun.of("models", "delete", model, "v2");
        assertThat(deleted.exitCode()).as(deleted.err()).isZero();
        assertThat(store.list(Buckets.MODELS, model + "/v2/")).isEmpty();
        assertThat(store.exists(Buckets.MODELS, model + "/v1/manifest.json")).isTrue();

        CliRun missing = CliRun.of("models", "promote", model, "v9");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).contains("has no version 'v9'");

        CliRun history = CliRun.of("models", "aliases", model);
        assertThat(history.out())
                .contains("promoted: production v1 -> v2 (by cli: better FLD)")
                .contains("rolled-back: production v2 -> v1 (by cli: rolled back by hand)")
                .contains("canary: 10 % of production's requests to v3 (by cli)");
        assertThat(aliases(model).history())
                .extracting(AliasChange::actor)
                .containsExactly("trainer", "trainer", "cli", "cli", "cli", "cli", "cli", "cli");

        List<EventData> announced = events(Topic.MODELS, model);
        assertThat(announced)
                .filteredOn(ModelAliasChanged.class::isInstance)
                .extracting(e -> ((ModelAliasChanged) e).revision())
                .as("each change the commands made, announced")
                .containsExactly(3L, 4L, 5L, 6L, 7L, 8L);
        assertThat(announced)
                .filteredOn(ModelVersionDeleted.class::isInstance)
                .singleElement()
                .isEqualTo(new ModelVersionDeleted(model, "v2", "cli"));
    }

    @Test
    void usageErrorsOfTheLifecycleCommandsExitWithTwo() {
        CliRun canary = CliRun.of("models", "canary", "some-model", "v3");
        assertThat(canary.exitCode()).isEqualTo(2);
        assertThat(canary.err()).contains("give VERSION and PERCENT, or --off");
        assertThat(CliRun.of("models", "canary", "some-model", "v3", "10", "--off")
                        .exitCode())
                .isEqualTo(2);
        assertThat(CliRun.of("models", "canary", "some-model", "v3", "100").err())
                .contains("percent");
        CliRun policy = CliRun.of("models", "policy", "some-model");
        assertThat(policy.exitCode()).isEqualTo(2);
        assertThat(policy.err()).contains("nothing to change");
        CliRun retrain = CliRun.of("models", "policy", "some-model", "--retrain", "always");
        assertThat(retrain.exitCode()).isEqualTo(2);
        assertThat(retrain.err()).contains("fine-tune");
        assertThat(CliRun.of("models", "promote", "some-model").exitCode()).isEqualTo(2);
    }

    @Test
    void datasetsDeleteRemovesEveryObjectOfTheDataSet() {
        String dataset = "cli-data-" + UUID.randomUUID().toString().substring(0, 8);
        store.put(Buckets.DATASETS, dataset + "/a.png", new byte[] {1}, "image/png");
        store.put(Buckets.DATASETS, dataset + "/nested/b.png", new byte[] {2}, "image/png");
        store.put(Buckets.DATASETS, dataset + "-other/c.png", new byte[] {3}, "image/png");

        CliRun deleted = CliRun.of("datasets", "delete", dataset);
        assertThat(deleted.exitCode()).as(deleted.err()).isZero();
        assertThat(deleted.out()).contains("2 files deleted from ddpm-datasets/" + dataset + "/");
        assertThat(store.list(Buckets.DATASETS, dataset + "/")).isEmpty();
        assertThat(store.exists(Buckets.DATASETS, dataset + "-other/c.png"))
                .as("only that data set")
                .isTrue();

        CliRun again = CliRun.of("datasets", "delete", dataset);
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).contains("no data set '" + dataset + "'");
    }

    @Test
    void trainingsCancelAsksForTheCancelOnTheRequestsTopic() {
        String run = "cli-cancel-" + UUID.randomUUID().toString().substring(0, 8);
        CliRun cancelled = CliRun.of("trainings", "cancel", run);
        assertThat(cancelled.exitCode()).as(cancelled.err()).isZero();
        assertThat(events(Topic.TRAINING_REQUESTS, run))
                .singleElement()
                .isEqualTo(new TrainingCancelRequested(run, "cli"));
    }

    private static ModelAliases aliases(String model) {
        return new ModelAliasStore(store).read(model).orElseThrow();
    }

    /** The events under {@code key} on {@code topic}, from its beginning. */
    private static List<EventData> events(Topic topic, String key) {
        List<EventData> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(topic.topicName()));
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (key.equals(record.key())) {
                        found.add(ReceivedEvent.of(record).event().data());
                    }
                }
            }
        }
        return found;
    }
}
