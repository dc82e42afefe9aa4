package dev.ddpm.trainer.checkpoint;

/**
 * Another trainer owns the run now: this attempt stops without writing, as a hand-off rather than a
 * failure (nothing is reported; the new owner goes on from the newest checkpoint).
 */
public final class RunFencedException extends RuntimeException {

    public RunFencedException(String message) {
        super(message);
    }
}
