package dev.ddpm.core.storage;

/** A streamed write stopped because its bytes passed the limit; nothing was stored. */
public class ObjectTooLargeException extends StorageException {

    private final long limit;

    public ObjectTooLargeException(String location, long limit) {
        super(location + ": more than the limit of " + limit + " bytes; nothing was stored");
        this.limit = limit;
    }

    public long limit() {
        return limit;
    }
}
