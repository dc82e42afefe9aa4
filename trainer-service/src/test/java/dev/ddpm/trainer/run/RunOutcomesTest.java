package dev.ddpm.trainer.run;

import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.testing.TestStack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** outcome.json in the real S3 server: of two ends of one run, the first stored is the run's end. */
class RunOutcomesTest {

    private static ArtifactStore store;
    private final String run = "outcomes-" + UUID.randomUUID().toString().substring(0, 8);

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
    void aSecondEndLeavesTheFirstStoredAndGetsItBack() {
        RunOutcomes outcomes = new RunOutcomes(store);
        OutcomeRecord completed = new OutcomeRecord(
                OutcomeRecord.State.COMPLETED,
                run,
                "m",
                40,
                0.05,
                run + "/step-40/checkpoint.json",
                "v1",
                null,
                "key-a",
                Instant.parse("2026-12-07T10:00:00Z"));
        OutcomeRecord cancelled = new OutcomeRecord(
                OutcomeRecord.State.CANCELLED,
                run,
                "m",
                40,
                null,
                null,
                null,
                null,
                "key-b",
                Instant.parse("2026-12-07T10:00:01Z"));

        assertThat(outcomes.write(completed)).isEqualTo(completed);
        OutcomeRecord second = outcomes.write(cancelled);

        assertThat(second.state()).as("the end stored first stands").isEqualTo(OutcomeRecord.State.COMPLETED);
        assertThat(outcomes.find(run).orElseThrow().state()).isEqualTo(OutcomeRecord.State.COMPLETED);
    }
}
