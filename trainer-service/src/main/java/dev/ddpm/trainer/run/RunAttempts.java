package dev.ddpm.trainer.run;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.trainer.checkpoint.CheckpointStore;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code ddpm-checkpoints/{run}/attempts.json}: how often a run has started without progress. A
 * trainer killed mid-run (out of memory, most often) never reports anything: its request comes back and
 * the run starts again, and would be killed again, forever, holding up every request behind it. So
 * every start is counted; a start that finds a newer checkpoint than the previous start found is
 * progress and counts from one again; and after {@code maxAttempts} starts without progress the run
 * may not start again.
 */
public final class RunAttempts {

    /**
     * The stored count.
     *
     * @param starts         starts since the run last made progress
     * @param checkpointStep the step of the newest checkpoint the last start found; -1 for none
     * @param startedAt      when the last start was
     */
    public record Count(int starts, long checkpointStep, Instant startedAt) {
        public Count {
            Require.atLeast(starts, 1, "starts");
            Require.atLeast(checkpointStep, -1, "checkpointStep");
            Require.nonNull(startedAt, "startedAt");
        }
    }

    private final ArtifactStore store;
    private final int maxAttempts;
    private final Clock clock;

    public RunAttempts(ArtifactStore store, int maxAttempts, Clock clock) {
        this.store = store;
        this.maxAttempts = Require.atLeast(maxAttempts, 1, "maxAttempts");
        this.clock = clock;
    }

    public static String key(String runId) {
        return runId + "/attempts.json";
    }

    /**
     * Counts a start of the run; returns empty when it may train, or why it may not: it has started
     * {@code maxAttempts} times already without reaching a newer checkpoint.
     */
    public Optional<String> start(String runId) {
        long newest = newestCheckpointStep(runId);
        Optional<Count> previous = previous(runId);
        boolean progress = previous.isPresent() && newest > previous.get().checkpointStep();
        int starts = previous.isEmpty() || progress ? 1 : previous.get().starts() + 1;
        if (starts > maxAttempts) {
            return Optional.of("started " + maxAttempts + " times without reaching "
                    + (newest < 0 ? "a checkpoint" : "a checkpoint past step " + newest)
                    + "; the trainer process ended each time, e.g. killed for memory");
        }
        store.putJson(Buckets.CHECKPOINTS, key(runId), new Count(starts, newest, clock.instant()));
        return Optional.empty();
    }

    /**
     * Takes back the count of a start that ended within its process (trained, paused, failed or met an
     * outage): only starts that ended the process count, so the next start counts from one again. Best
     * effort: a count left behind costs one start.
     */
    public void release(String runId) {
        try {
            store.delete(Buckets.CHECKPOINTS, key(runId));
        } catch (StorageException e) {
            // the count stays; it resets at the next start that finds progress
        }
    }

    /** The count so far; empty for a run that never started (or whose count is unreadable). */
    public Optional<Count> previous(String runId) {
        try {
            return store.exists(Buckets.CHECKPOINTS, key(runId))
                    ? Optional.of(store.getJson(Buckets.CHECKPOINTS, key(runId), Count.class))
                    : Optional.empty();
        } catch (InvalidPayloadException e) {
            return Optional.empty();
        }
    }

    private long newestCheckpointStep(String runId) {
        try {
            return new CheckpointStore(store).latest(runId).step();
        } catch (StorageException | InvalidPayloadException e) {
            return -1; // none yet, or none readable: no progress either way
        }
    }
}
