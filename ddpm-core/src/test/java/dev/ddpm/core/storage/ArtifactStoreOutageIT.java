package dev.ddpm.core.storage;

import dev.ddpm.core.testing.TcpRelay;
import dev.ddpm.core.testing.TestStack;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store rides out an S3 outage within its retry budget, and only then: the real server behind a relay. */
class ArtifactStoreOutageIT {

    private final String key = "outage-it/" + UUID.randomUUID();
    private TcpRelay relay;
    private S3Settings throughRelay;

    @BeforeEach
    void relay() throws IOException {
        S3Settings direct = TestStack.s3();
        relay = new TcpRelay(URI.create(direct.endpoint()));
        throughRelay = new S3Settings(
                "http://127.0.0.1:" + relay.port(),
                direct.accessKey(),
                direct.secretKey(),
                direct.region(),
                Duration.ofSeconds(5));
    }

    @AfterEach
    void close() throws IOException {
        relay.close();
    }

    @Test
    void writesAndReadsOnceTheServerIsBackWithinTheBudget() throws Exception {
        byte[] data = "written during an outage".getBytes(StandardCharsets.UTF_8);
        try (ArtifactStore store = new ArtifactStore(throughRelay, Duration.ofSeconds(20))) {
            CompletableFuture<Void> back = CompletableFuture.runAsync(
                    () -> {
                        try {
                            relay.up();
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    },
                    CompletableFuture.delayedExecutor(1500, TimeUnit.MILLISECONDS));
            long start = System.nanoTime();

            ObjectRef ref = store.put(Buckets.SAMPLES, key, data, "text/plain");

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofSeconds(1));
            back.join();
            relay.down();
            CompletableFuture.runAsync(
                    () -> {
                        try {
                            relay.up();
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    },
                    CompletableFuture.delayedExecutor(1500, TimeUnit.MILLISECONDS));
            assertThat(store.get(ref)).isEqualTo(data);
            assertThat(store.exists(Buckets.SAMPLES, key)).isTrue();
            store.delete(Buckets.SAMPLES, key);
        }
    }

    @Test
    void givesUpAfterItsBudgetSayingHowLongItTried() {
        try (ArtifactStore store = new ArtifactStore(throughRelay, Duration.ofSeconds(2))) {
            long start = System.nanoTime();

            assertThatThrownBy(() -> store.get(Buckets.SAMPLES, key))
                    .isInstanceOf(StorageUnavailableException.class)
                    .hasMessageContaining("attempts over");

            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).isGreaterThan(Duration.ofMillis(1000)).isLessThan(Duration.ofSeconds(8));
        }
    }

    @Test
    void aStoreWithoutBudgetFailsAtOnce() {
        try (ArtifactStore store = new ArtifactStore(throughRelay)) {
            assertThatThrownBy(() -> store.put(Buckets.SAMPLES, key, new byte[] {1}, "application/octet-stream"))
                    .isInstanceOf(StorageUnavailableException.class)
                    .hasMessageNotContaining("attempts over");
        }
    }

    @Test
    void aMissingObjectIsNotRetried() throws IOException {
        relay.up();
        try (ArtifactStore store = new ArtifactStore(throughRelay, Duration.ofSeconds(20))) {
            long start = System.nanoTime();

            assertThatThrownBy(() -> store.get(Buckets.SAMPLES, key)).isInstanceOf(ObjectNotFoundException.class);

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        }
    }
}
