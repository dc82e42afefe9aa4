package dev.ddpm.core.storage;

import dev.ddpm.core.json.Require;

/** A complete object a reader may fetch: bucket, key, size and sha256 to verify it with. */
public record ObjectRef(String bucket, String key, long sizeBytes, String sha256) {

    public ObjectRef {
        Require.nonBlank(bucket, "bucket");
        Require.nonBlank(key, "key");
        Require.atLeast(sizeBytes, 0, "sizeBytes");
        Require.sha256Hex(sha256, "sha256");
    }
}
