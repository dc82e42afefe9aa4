package dev.ddpm.core.storage;

/**
 * The object store could not be reached or answered that it cannot serve now (a refused or reset
 * connection, a timeout, a 5xx): the same operation may succeed later, unlike a missing object, a
 * refused credential or a corrupt object.
 */
public class StorageUnavailableException extends StorageException {

    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
