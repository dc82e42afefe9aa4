package dev.ddpm.trainer.checkpoint;

import dev.ddpm.core.json.Require;

import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which checkpoints of a run survive: the newest {@code keepNewest}, plus a doubling ladder of
 * early ones at {@code checkpointEvery x 2^k} steps. The ladder keeps what autoguidance needs (an
 * early, weaker checkpoint of the same run as the guide) and what comparisons along a run use,
 * while the count stays logarithmic in the run's length: at most 24 below 10M steps.
 */
public record CheckpointRetention(int keepNewest, int checkpointEvery) {

    public CheckpointRetention {
        Require.atLeast(keepNewest, 1, "keepNewest");
        Require.atLeast(checkpointEvery, 1, "checkpointEvery");
    }

    /** The steps of {@code steps} to keep. */
    public Set<Long> kept(List<Long> steps) {
        TreeSet<Long> kept = new TreeSet<>();
        steps.stream().sorted(Comparator.reverseOrder()).limit(keepNewest).forEach(kept::add);
        steps.stream().filter(this::onLadder).forEach(kept::add);
        return kept;
    }

    boolean onLadder(long step) {
        if (step <= 0 || step % checkpointEvery != 0) {
            return false;
        }
        long multiple = step / checkpointEvery;
        return (multiple & (multiple - 1)) == 0;
    }
}
