package dev.ddpm.core.storage;

import java.time.Instant;

/** An entry of a listing. */
public record StoredObject(String bucket, String key, long sizeBytes, Instant lastModified) {}
