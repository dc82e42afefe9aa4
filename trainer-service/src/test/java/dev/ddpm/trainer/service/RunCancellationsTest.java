package dev.ddpm.trainer.service;

import ai.djl.Device;
import dev.ddpm.core.events.TrainingCancelRequested;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.testing.TestStack;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TinyRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The record of cancelled runs against the real S3 server: a cancel is heard at once and leaves a
 * marker that another replica, or this one after a restart, finds before it would start the run;
 * the cancel of a run that has ended leaves nothing.
 */
class RunCancellationsTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
    private static ArtifactStore store;

    @BeforeAll
    static void open() {
        store = new ArtifactStore(TestStack.s3());
        store.ensureBuckets(Buckets.ALL);
    }

    @AfterAll
    static void close() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void aCancelIsHeardAtOnceAndFoundByAReplicaThatDidNotHearIt() {
        String run = "cancel-" + UUID.randomUUID().toString().substring(0, 8);
        RunCancellations heard = new RunCancellations(store, CLOCK);
        RunCancellations elsewhere = new RunCancellations(store, CLOCK);
        assertThat(heard.find(run)).isEmpty();

        assertThat(heard.request(new TrainingCancelRequested(run, "key-ops"))).isTrue();

        assertThat(heard.requested(run)).isTrue();
        assertThat(elsewhere.requested(run)).as("only what this trainer heard").isFalse();
        assertThat(elsewhere.find(run))
                .as("the marker, for a trainer that receives the request later")
                .contains(new RunCancellations.Marker(run, "key-ops", CLOCK.instant()));
        assertThat(store.exists(Buckets.CHECKPOINTS, run + "/cancelled.json")).isTrue();

        // Every replica hears every cancel: the second records it in memory and keeps the marker as it is.
        Clock later = Clock.offset(CLOCK, Duration.ofMinutes(5));
        assertThat(new RunCancellations(store, later).request(new TrainingCancelRequested(run, "key-ops")))
                .isTrue();
        assertThat(elsewhere.find(run).orElseThrow().requestedAt()).isEqualTo(CLOCK.instant());
    }

    @Test
    void theCancelOfARunThatHasEndedChangesNothing() {
        DjlEngine.configureOffline(1);
        String ended = "ended-" + UUID.randomUUID().toString().substring(0, 8);
        String paused = "paused-" + UUID.randomUUID().toString().substring(0, 8);
        try (DiffusionTrainer trainer = new DiffusionTrainer(TinyRun.settings(), Device.cpu())) {
            new CheckpointStore(store).save(ended, trainer, true, 1.0);
            new CheckpointStore(store).save(paused, trainer, false, 1.0);
        }
        RunCancellations cancellations = new RunCancellations(store, CLOCK);

        assertThat(cancellations.request(new TrainingCancelRequested(ended, null)))
                .isFalse();
        assertThat(cancellations.requested(ended)).isFalse();
        assertThat(cancellations.find(ended)).isEmpty();
        assertThat(store.exists(Buckets.CHECKPOINTS, RunCancellations.markerKey(ended)))
                .isFalse();

        assertThat(cancellations.request(new TrainingCancelRequested(paused, null)))
                .as("a run with checkpoints that has not ended is cancelled")
                .isTrue();
        assertThat(cancellations.find(paused)).isPresent();
    }
}
