package dev.ddpm.core.storage;

/** The bucket or key does not exist. */
public class ObjectNotFoundException extends StorageException {

    public ObjectNotFoundException(String location) {
        super(location + ": no such object");
    }
}
