package dev.ddpm.trainer.checkpoint;

/** A run has no checkpoint that can be restored: none at all, none at the step asked for, or none intact. */
public final class NoUsableCheckpointException extends IllegalStateException {

    public NoUsableCheckpointException(String message) {
        super(message);
    }

    public NoUsableCheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
