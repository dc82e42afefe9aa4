package dev.ddpm.core.storage;

/**
 * An object's bytes do not hash to the sha256 that names them: it is corrupt, truncated or was
 * replaced behind the pointer's back. Never use such an object.
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

    public String expectedSha256() {
        return expectedSha256;
    }

    public String actualSha256() {
        return actualSha256;
    }
}
