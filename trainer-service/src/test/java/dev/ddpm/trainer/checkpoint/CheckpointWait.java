package dev.ddpm.trainer.checkpoint;

import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Waits, in tests that run training in another process, for that process's checkpoints. */
public final class CheckpointWait {

    private CheckpointWait() {}

    /** Returns once {@code run} has a checkpoint at {@code step} or later; fails if the process dies first. */
    public static void atLeast(ArtifactStore store, String run, long step, Process process)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            if (store.exists(Buckets.CHECKPOINTS, CheckpointStore.latestKey(run))
                    && new CheckpointStore(store).latest(run).step() >= step) {
                return;
            }
            assertThat(process.isAlive())
                    .as("the training process is still running")
                    .isTrue();
            Thread.sleep(100);
        }
        throw new AssertionError("no checkpoint at step " + step + " of run " + run);
    }
}
