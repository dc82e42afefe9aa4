package dev.ddpm.trainer.export;

/** An exported graph that does not load, does not run, or does not agree with the trained network. */
public final class InvalidExportException extends RuntimeException {

    public InvalidExportException(String message) {
        super(message);
    }

    public InvalidExportException(String message, Throwable cause) {
        super(message, cause);
    }
}
