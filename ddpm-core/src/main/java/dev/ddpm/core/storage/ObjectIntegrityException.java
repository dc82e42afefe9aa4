package dev.ddpm.core.storage;

/**
 * An object's bytes do not hash to the sha256 that names them, or are not the size its reference
 * declares: it is corrupt, truncated or was replaced behind the pointer's back. Never use such an
 * object.
 */
public class ObjectIntegrityException extends StorageException {

    private final String expectedSha256;
    private final String actualSha256;

    public ObjectIntegrityException(String location, String expectedSha256, String actualSha256) {
        super(location + ": sha256 mismatch, expected " + expectedSha256 + " but the stored bytes hash to "
                + actualSha256 + "; the object is corrupt or was replaced and is refused");
        this.expectedSha256 = expectedSha256;
        this.actualSha256 = actualSha256;
    }

    private ObjectIntegrityException(String message) {
        super(message);
        this.expectedSha256 = null;
        this.actualSha256 = null;
    }

    /** The object is not the size its reference declares (read no further than one byte past it). */
    public static ObjectIntegrityException size(String location, long declared, long read) {
        return new ObjectIntegrityException(location + ": size mismatch, declared " + declared + " bytes but "
                + (read > declared
                        ? "the stored object is larger (read stopped after " + read + " bytes)"
                        : "the stored object has " + read)
                + "; it is refused");
    }

    /** null for a size mismatch. */
    public String expectedSha256() {
        return expectedSha256;
    }

    public String actualSha256() {
        return actualSha256;
    }
}
