package dev.ddpm.core.storage;

/** An object-store operation failed; the message names the endpoint, bucket, key and cause. */
public class StorageException extends RuntimeException {

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }

    public StorageException(String message) {
        super(message);
    }
}
