package dev.ddpm.trainer.checkpoint;

/** A checkpoint's bytes cannot be used: truncated, wrong format, or not matching the model. */
public class CorruptCheckpointException extends RuntimeException {

    public CorruptCheckpointException(String message) {
        super(message);
    }

    public CorruptCheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
