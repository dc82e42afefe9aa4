package dev.ddpm.trainer.checkpoint;

/**
 * Asked before every checkpoint write and every pruning of a run: whether this attempt still owns the
 * run. Another trainer may have taken the run over (its partition moved while this one was slow to
 * pause); then this attempt must write nothing more, or the two would overwrite each other's checkpoints.
 */
@FunctionalInterface
public interface CheckpointFence {

    /** @throws RunFencedException when another attempt owns the run now */
    void verify();

    /** For runs nobody else can take over (the CLI, tests). */
    CheckpointFence NONE = () -> {};
}
