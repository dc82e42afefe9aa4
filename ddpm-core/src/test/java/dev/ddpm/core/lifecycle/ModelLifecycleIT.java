package dev.ddpm.core.lifecycle;

import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.ModelAliasChanged;
import dev.ddpm.core.events.ModelVersionDeleted;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.testing.TestStack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The lifecycle operations against the real S3 server: the document, the files, the announcements. */
class ModelLifecycleIT {

    private static ArtifactStore store;
    private final String model = "lc-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<EventData> announced = new ArrayList<>();
    private final ModelLifecycle lifecycle = new ModelLifecycle(store, announced::add, Clock.systemUTC());

    @BeforeAll
    static void open() {
        store = new ArtifactStore(TestStack.s3());
        store.ensureBuckets(Buckets.ALL);
    }

    @AfterAll
    static void close() {
        store.close();
    }

    private void version(String version) {
        byte[] bytes = version.getBytes(StandardCharsets.UTF_8);
        store.put(Buckets.MODELS, model + "/" + version + "/unet.onnx", bytes, "application/octet-stream");
        store.put(Buckets.MODELS, model + "/" + version + "/manifest.json", bytes, "application/json");
    }

    private void publish(String version) {
        version(version);
        lifecycle.published(model, version, "key-owner", "trainer");
    }

    @Test
    void publishPromoteAndRollBackAreWrittenAndAnnouncedInRevisionOrder() {
        publish("v1");
        publish("v2");
        lifecycle.promote(model, "v2", "ops", "better");
        ModelAliases back = lifecycle.rollback(model, "ops", "regression");

        ModelAliases stored = new ModelAliasStore(store).read(model).orElseThrow();
        assertThat(stored).isEqualTo(back);
        assertThat(stored.production()).contains("v1");
        assertThat(stored.owner()).isEqualTo("key-owner");
        assertThat(announced).map(e -> ((ModelAliasChanged) e).revision()).containsExactly(1L, 2L, 3L, 4L);
        assertThat(((ModelAliasChanged) announced.get(3)).aliases()).containsEntry("production", "v1");
    }

    @Test
    void productionIsNeverDeletedAndACandidateIsDeletedManifestFirst() {
        publish("v1");
        publish("v2");

        assertThatThrownBy(() -> lifecycle.deleteVersion(model, "v1", "ops"))
                .isInstanceOf(LifecycleException.class)
                .hasMessageContaining("is production")
                .extracting(e -> ((LifecycleException) e).kind())
                .isEqualTo(LifecycleException.Kind.CONFLICT);
        assertThat(store.exists(Buckets.MODELS, model + "/v1/unet.onnx")).isTrue();

        ModelAliases after = lifecycle.deleteVersion(model, "v2", "ops");
        assertThat(after.candidate()).isEmpty();
        assertThat(store.list(Buckets.MODELS, model + "/v2/")).isEmpty();
        assertThat(lifecycle.versions(model)).containsExactly("v1");
        assertThat(announced.get(announced.size() - 1)).isEqualTo(new ModelVersionDeleted(model, "v2", "ops"));
    }

    @Test
    void unknownModelsAndVersionsAreNotFound() {
        assertThatThrownBy(() -> lifecycle.aliases(model))
                .extracting(e -> ((LifecycleException) e).kind())
                .isEqualTo(LifecycleException.Kind.NOT_FOUND);
        publish("v1");
        assertThatThrownBy(() -> lifecycle.promote(model, "v9", "ops", null))
                .isInstanceOf(LifecycleException.class)
                .hasMessageContaining("no version 'v9'");
        assertThatThrownBy(() -> lifecycle.rollback(model, "ops", null))
                .extracting(e -> ((LifecycleException) e).kind())
                .isEqualTo(LifecycleException.Kind.CONFLICT);
    }

    @Test
    void aModelWithoutADocumentShowsItsNewestVersionAsProduction() {
        version("20261201-000000-s10");
        version("20261202-000000-s20");

        ModelAliases shown = lifecycle.aliases(model);
        assertThat(shown.revision()).isZero();
        assertThat(shown.production()).contains("20261202-000000-s20");
        assertThatThrownBy(() -> lifecycle.deleteVersion(model, "20261202-000000-s20", "ops"))
                .hasMessageContaining("is production");
        assertThat(announced).isEmpty();
    }

    @Test
    void aFailedAnnouncementLeavesTheDocumentWritten() {
        version("v1");
        ModelLifecycle brokerDown = new ModelLifecycle(
                store,
                e -> {
                    throw new IllegalStateException("broker away");
                },
                Clock.systemUTC());

        brokerDown.published(model, "v1", "key-owner", "trainer");

        assertThat(new ModelAliasStore(store).read(model).orElseThrow().production())
                .contains("v1");
    }
}
