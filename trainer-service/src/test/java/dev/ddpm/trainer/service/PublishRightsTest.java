package dev.ddpm.trainer.service;

import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.testing.TestStack;
import dev.ddpm.trainer.export.PublishRights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Where weights are published, the trainer has the last word on whose model a run may publish
 * into (against the real S3 server, without libtorch): its own, or a new one; a run publishes as the
 * key it is for (a retraining's is its data set's owner, {@link RetrainingTest}).
 */
class PublishRightsTest {

    private static ArtifactStore store;

    @BeforeAll
    static void connect() {
        store = new ArtifactStore(TestStack.s3());
    }

    @Test
    void aRunPublishesIntoANewModelOrOneItsKeyOwnsAndIntoNoOtherKeys() {
        String model = "rights-" + UUID.randomUUID().toString().substring(0, 8);
        assertThatCode(() -> PublishRights.require(store, model, "run-1", "key-b"))
                .as("a new name: the first to publish owns it")
                .doesNotThrowAnyException();
        new ModelLifecycle(store, event -> {}, Clock.systemUTC()).published(model, "v1", "key-a", "trainer");

        assertThatCode(() -> PublishRights.require(store, model, "run-2", "key-a"))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> PublishRights.require(store, model, "run-3", "key-b"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("run run-3 may not publish model '" + model + "'")
                .hasMessageContaining("nothing was published")
                .hasMessageNotContaining("key-a");
        assertThatThrownBy(() -> PublishRights.require(store, model, "run-4", null))
                .as("a run no key asked for, into a key's model")
                .hasMessageContaining("(none)");
    }

    @Test
    void aRunPublishesAsTheKeyItIsForAndARetrainingOfADataSetWithoutOwnerAsNone() {
        assertThat(TrainingService.owner("key-b"))
                .as("a run a key asked for, or a retraining of that key's data set")
                .isEqualTo("key-b");
        assertThat(TrainingService.owner(RetrainPolicy.DATASET_UPDATE))
                .as("a retraining of a data set without an owner")
                .isNull();
        assertThat(TrainingService.owner("cli")).isNull();
        assertThat(TrainingService.owner(null)).isNull();
    }
}
