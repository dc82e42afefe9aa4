package dev.ddpm.core.storage;

import dev.ddpm.core.testing.TestStack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Conditional writes against the real S3 server: S3Proxy (as MinIO and AWS S3) honours
 * {@code If-None-Match: *} and {@code If-Match} on PutObject, so a lease can be taken and renewed as a
 * compare-and-swap.
 */
class ConditionalWriteIT {

    private static ArtifactStore store;
    private final String key = "it-" + UUID.randomUUID() + "/lease.json";

    @BeforeAll
    static void open() {
        store = new ArtifactStore(TestStack.s3());
        store.ensureBuckets(Buckets.ALL);
    }

    @AfterAll
    static void close() {
        store.close();
    }

    @Test
    void onlyTheFirstOfTwoCreatesWins() {
        Optional<String> first = store.putIfAbsent(Buckets.CHECKPOINTS, key, bytes("one"), "application/json");
        Optional<String> second = store.putIfAbsent(Buckets.CHECKPOINTS, key, bytes("two"), "application/json");

        assertThat(first).isPresent();
        assertThat(second).as("the key is taken").isEmpty();
        assertThat(store.get(Buckets.CHECKPOINTS, key)).isEqualTo(bytes("one"));
    }

    @Test
    void aReplaceSucceedsOnlyUnderTheETagItRead() {
        store.putIfAbsent(Buckets.CHECKPOINTS, key, bytes("epoch 1"), "application/json");
        ArtifactStore.Tagged read = store.getTagged(Buckets.CHECKPOINTS, key);
        assertThat(read.data()).isEqualTo(bytes("epoch 1"));

        Optional<String> renewed =
                store.putIfMatch(Buckets.CHECKPOINTS, key, bytes("epoch 2"), "application/json", read.etag());
        Optional<String> stale =
                store.putIfMatch(Buckets.CHECKPOINTS, key, bytes("epoch 3"), "application/json", read.etag());

        assertThat(renewed).isPresent();
        assertThat(renewed.get())
                .isEqualTo(store.getTagged(Buckets.CHECKPOINTS, key).etag());
        assertThat(stale).as("written under an ETag that has changed since").isEmpty();
        assertThat(store.get(Buckets.CHECKPOINTS, key)).isEqualTo(bytes("epoch 2"));
    }

    @Test
    void aReplaceOfNoObjectFailsAndAReadOfNoneSaysNotFound() {
        assertThat(store.putIfMatch(Buckets.CHECKPOINTS, key, bytes("x"), "application/json", "0123abcd"))
                .isEmpty();
        assertThatThrownBy(() -> store.getTagged(Buckets.CHECKPOINTS, key)).isInstanceOf(ObjectNotFoundException.class);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
