package dev.ddpm.trainer.run;

import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.testing.TestStack;
import dev.ddpm.trainer.checkpoint.RunFencedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** lease.json in the real S3 server: the newest taker owns the run and the previous holder is fenced. */
class RunLeaseTest {

    private static ArtifactStore store;
    private final String run = "lease-" + UUID.randomUUID().toString().substring(0, 8);

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
    void aTakeoverFencesThePreviousHolderAndTheNewOneRenews() {
        RunLease first =
                RunLease.take(store, run, "trainer-a", Clock.systemUTC()).orElseThrow();
        assertThat(first.holder().epoch()).isEqualTo(1);
        first.verify(); // renewing an unchallenged lease, again and again
        first.verify();

        RunLease second =
                RunLease.take(store, run, "trainer-b", Clock.systemUTC()).orElseThrow();
        assertThat(second.holder().epoch()).isEqualTo(2);

        assertThatThrownBy(first::verify)
                .isInstanceOf(RunFencedException.class)
                .hasMessageContaining("epoch 2 of trainer-b took it over");
        second.verify();
        assertThat(store.getJson(Buckets.CHECKPOINTS, RunLease.key(run), RunLease.Holder.class)
                        .owner())
                .isEqualTo("trainer-b");
    }
}
