package dev.ddpm.core.storage;

import dev.ddpm.core.json.Json;
import io.minio.BucketExistsArgs;
import io.minio.CopyObjectArgs;
import io.minio.Directive;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.ObjectWriteResponse;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.SourceObject;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.MinioException;
import io.minio.errors.ServerException;
import io.minio.messages.Item;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The platform's object store over the MinIO client: every object is written with its sha256 in
 * user metadata, every read verifies a sha256 before returning bytes, and multi-object artifacts
 * become visible through a pointer written last ({@link #writeThenPoint}).
 *
 * <p>Every operation that can be repeated without harm (all but the first half of {@link #putStream},
 * whose source stream is read once) is retried when the server is unavailable
 * ({@link StorageUnavailableException}: refused connections, timeouts, 5xx), with exponential backoff
 * for at most the store's retry budget; a missing object, a refusal or a corrupt object fails at once.
 * Probes and provisioning ({@link #listBuckets}, {@link #ensureBuckets}) are never retried: they
 * report the server's state as it is.
 *
 * <p>Works against MinIO and any S3 server that keeps user metadata (S3Proxy locally).
 */
public final class ArtifactStore implements AutoCloseable {

    /** User-metadata name under which the sha256 of the object's bytes is stored. */
    public static final String SHA256_METADATA = "sha256";

    private static final System.Logger LOG = System.getLogger(ArtifactStore.class.getName());
    /** Where {@link #putStream} stages bytes whose sha256 is not known yet; no reader lists it. */
    public static final String STAGING_PREFIX = ".staging/";

    /**
     * The part {@link #putStream} holds in memory while it sends it: S3's least (5 MiB), so that a
     * service bounds the heap its streamed uploads take by how many it runs at once. 10,000 parts
     * of it make 50 GB, far beyond any upload the platform takes.
     */
    public static final long STREAM_PART_BYTES = 5L << 20;

    private static final Set<String> NOT_FOUND_CODES = Set.of("NoSuchKey", "NoSuchBucket", "NoSuchObject");
    /** Error codes of a server that cannot serve now but may later (S3's 500 and 503 answers). */
    private static final Set<String> UNAVAILABLE_CODES =
            Set.of("InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout");

    private static final long FIRST_RETRY_DELAY_MS = 200;
    private static final long MAX_RETRY_DELAY_MS = 5_000;

    private final MinioClient client;
    private final String endpoint;
    private final Duration retryBudget;

    /** A store that retries nothing: every failure is reported at once. */
    public ArtifactStore(S3Settings settings) {
        this(settings, Duration.ZERO);
    }

    /**
     * @param retryBudget how long an operation may go on retrying while the server is unavailable
     *                    (the first attempt not counted); zero: no retries
     */
    public ArtifactStore(S3Settings settings, Duration retryBudget) {
        if (retryBudget.isNegative()) {
            throw new IllegalArgumentException("retry budget must not be negative, was " + retryBudget);
        }
        this.retryBudget = retryBudget;
        this.endpoint = settings.endpoint();
        this.client = MinioClient.builder()
                .endpoint(settings.endpoint())
                .region(settings.region())
                .credentials(settings.accessKey(), settings.secretKey())
                .build();
        long timeoutMs = settings.timeout().toMillis();
        client.setTimeout(Math.min(timeoutMs, 5_000), timeoutMs, timeoutMs);
    }

    public String endpoint() {
        return endpoint;
    }

    /**
     * Bucket names visible with these credentials; the cheapest call that proves the server answers and the keys are
     * valid.
     */
    public List<String> listBuckets() {
        return once(
                "list buckets",
                "",
                () -> client.listBuckets().stream().map(b -> b.name()).sorted().toList());
    }

    /** Creates the buckets that do not exist yet; returns the ones it created. */
    public List<String> ensureBuckets(Collection<String> buckets) {
        List<String> created = new ArrayList<>();
        for (String bucket : buckets) {
            boolean made = once("create bucket", bucket, () -> {
                if (client.bucketExists(
                        BucketExistsArgs.builder().bucket(bucket).build())) {
                    return false;
                }
                try {
                    client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
                    return true;
                } catch (ErrorResponseException e) {
                    String code =
                            e.errorResponse() == null ? "" : e.errorResponse().code();
                    if ("BucketAlreadyOwnedByYou".equals(code) || "BucketAlreadyExists".equals(code)) {
                        return false; // another replica created it a moment ago
                    }
                    throw e;
                }
            });
            if (made) {
                created.add(bucket);
            }
        }
        return created;
    }

    public ObjectRef put(String bucket, String key, byte[] data, String contentType) {
        String sha256 = Sha256.of(data);
        call(
                "put",
                bucket + "/" + key,
                () -> client.putObject(PutObjectArgs.builder()
                        .bucket(bucket)
                        .object(key)
                        .data(data, data.length)
                        .contentType(contentType)
                        .userMetadata(Map.of(SHA256_METADATA, sha256))
                        .build()));
        return new ObjectRef(bucket, key, data.length, sha256);
    }

    public ObjectRef put(String bucket, String key, Path file, String contentType) {
        try {
            String sha256 = Sha256.of(file);
            long size = Files.size(file);
            // The file is opened by each attempt, so a retry sends it from its start.
            call("put", bucket + "/" + key, () -> {
                try (InputStream in = Files.newInputStream(file)) {
                    return client.putObject(PutObjectArgs.builder().bucket(bucket).object(key).stream(in, size, null)
                            .contentType(contentType)
                            .userMetadata(Map.of(SHA256_METADATA, sha256))
                            .build());
                }
            });
            return new ObjectRef(bucket, key, size, sha256);
        } catch (IOException e) {
            throw new StorageException(
                    "put " + bucket + "/" + key + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Streams {@code in} to {@code bucket/key} without holding it in memory. The bytes go to a staging
     * object under {@link #STAGING_PREFIX} (multipart, one {@link #STREAM_PART_BYTES} part in memory at a time) while their sha256 is computed;
     * then the server copies it to {@code key} with the sha256 recorded, and the staging object is
     * removed. Readers of {@code key} see the whole object or none.
     *
     * @throws ObjectTooLargeException when {@code in} holds more than {@code maxBytes}; nothing is stored
     */
    public ObjectRef putStream(String bucket, String key, InputStream in, long maxBytes, String contentType) {
        String staging = STAGING_PREFIX + UUID.randomUUID();
        CountingDigest counted = new CountingDigest(in, maxBytes);
        try {
            try {
                // Once: the source stream cannot be read again.
                once(
                        "put",
                        bucket + "/" + staging,
                        () -> client.putObject(PutObjectArgs.builder().bucket(bucket).object(staging).stream(
                                        counted, null, STREAM_PART_BYTES)
                                .contentType(contentType)
                                .build()));
            } catch (StorageException e) {
                if (counted.exceeded) {
                    throw new ObjectTooLargeException(location(bucket + "/" + key), maxBytes);
                }
                throw e;
            }
            String sha256 = Sha256.hex(counted.digest);
            call(
                    "copy",
                    bucket + "/" + key,
                    () -> client.copyObject(CopyObjectArgs.builder()
                            .bucket(bucket)
                            .object(key)
                            .source(SourceObject.builder()
                                    .bucket(bucket)
                                    .object(staging)
                                    .build())
                            .metadataDirective(Directive.REPLACE)
                            .headers(Map.of("Content-Type", contentType))
                            .userMetadata(Map.of(SHA256_METADATA, sha256))
                            .build()));
            return new ObjectRef(bucket, key, counted.count, sha256);
        } finally {
            try {
                delete(bucket, staging);
            } catch (ObjectNotFoundException e) {
                // the write stopped before the staging object existed
            } catch (StorageException e) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "staging object " + bucket + "/" + staging + " not removed: " + e.getMessage());
            }
        }
    }

    /** Counts and hashes what passes; reading past the limit fails the read (and with it the write). */
    private static final class CountingDigest extends FilterInputStream {
        final MessageDigest digest = Sha256.digest();
        final long limit;
        long count;
        boolean exceeded;

        CountingDigest(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
                if (count > limit) {
                    exceeded = true;
                    throw new IOException("more than " + limit + " bytes");
                }
                digest.update(b, off, n);
            }
            return n;
        }
    }

    public ObjectRef put(String bucket, Upload upload) {
        if (upload instanceof Upload.Bytes b) {
            return put(bucket, b.key(), b.data(), b.contentType());
        }
        Upload.File f = (Upload.File) upload;
        return put(bucket, f.key(), f.path(), f.contentType());
    }

    /** Writes a contract record as JSON (pointers, manifests). */
    public ObjectRef putJson(String bucket, String key, Object value) {
        return put(bucket, key, Json.write(value), "application/json");
    }

    /** The object's bytes, verified against the sha256 the reference names. */
    public byte[] get(ObjectRef ref) {
        return read(ref.bucket(), ref.key(), ref.sha256(), ref.sizeBytes());
    }

    /**
     * The object's bytes, verified against the sha256 stored with it at write time. An object that
     * carries no sha256 (written by another tool, e.g. a dataset uploaded straight to MinIO) is
     * returned as is: there is nothing to verify it against.
     */
    public byte[] get(String bucket, String key) {
        return read(bucket, key, storedSha256(bucket, key).orElse(null), 0);
    }

    /** Reads and binds a JSON contract document (verified like {@link #get(ObjectRef)}). */
    public <T> T getJson(ObjectRef ref, Class<T> type) {
        return Json.read(get(ref), type);
    }

    public <T> T getJson(String bucket, String key, Class<T> type) {
        return Json.read(get(bucket, key), type);
    }

    /**
     * Streams the object to {@code target}, verifying the sha256 on the way. The file appears at
     * {@code target} only once verified (written to a temporary sibling, then moved), so a crash
     * or a corrupt object never leaves a half-written or unverified file behind.
     */
    public Path download(ObjectRef ref, Path target) {
        return download(ref.bucket(), ref.key(), ref.sha256(), target);
    }

    /**
     * As {@link #download(ObjectRef, Path)}, verified against the sha256 stored with the object; one
     * written by another tool, without a sha256, is streamed as is.
     */
    public Path download(String bucket, String key, Path target) {
        return download(bucket, key, storedSha256(bucket, key).orElse(null), target);
    }

    private Path download(String bucket, String key, String expectedSha256, Path target) {
        return retrying(() -> downloadOnce(bucket, key, expectedSha256, target));
    }

    private Path downloadOnce(String bucket, String key, String expectedSha256, Path target) {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = null;
        try {
            Files.createDirectories(dir);
            temp = Files.createTempFile(dir, "." + target.getFileName(), ".part");
            MessageDigest digest = Sha256.digest();
            try (InputStream in = open(bucket, key);
                    OutputStream out = Files.newOutputStream(temp)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
            }
            if (expectedSha256 != null) {
                verify(bucket + "/" + key, expectedSha256, Sha256.hex(digest));
            }
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            temp = null;
            return target;
        } catch (IOException e) {
            // A broken connection mid-stream is the server's trouble; a local file error is not.
            String message = location(bucket + "/" + key) + ": download to " + target + " failed: " + e.getMessage();
            throw e instanceof java.net.SocketException || e instanceof java.net.SocketTimeoutException
                    ? new StorageUnavailableException(message, e)
                    : new StorageException(message, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // best effort: the .part file is invisible to readers of target anyway
                }
            }
        }
    }

    /** The sha256 recorded in the object's metadata, if it has one. */
    public Optional<String> storedSha256(String bucket, String key) {
        StatObjectResponse stat = stat(bucket, key);
        return Optional.ofNullable(stat.userMetadata().getFirst(SHA256_METADATA));
    }

    public boolean exists(String bucket, String key) {
        try {
            stat(bucket, key);
            return true;
        } catch (ObjectNotFoundException e) {
            return false;
        }
    }

    /** Every object under the prefix (recursive), in key order; paging is handled here. */
    public List<StoredObject> list(String bucket, String prefix) {
        return call("list", bucket + "/" + prefix, () -> {
            List<StoredObject> objects = new ArrayList<>(); // per attempt: a retried listing starts over
            Iterable<Result<Item>> results = client.listObjects(ListObjectsArgs.builder()
                    .bucket(bucket)
                    .prefix(prefix)
                    .recursive(true)
                    .build());
            for (Result<Item> result : results) {
                Item item = result.get();
                if (!item.isDir()) {
                    objects.add(new StoredObject(
                            bucket,
                            item.objectName(),
                            item.size(),
                            item.lastModified() == null
                                    ? null
                                    : item.lastModified().toInstant()));
                }
            }
            return objects;
        });
    }

    public void delete(String bucket, String key) {
        call("delete", bucket + "/" + key, () -> {
            client.removeObject(
                    RemoveObjectArgs.builder().bucket(bucket).object(key).build());
            return null;
        });
    }

    /** Deletes every object whose key starts with {@code prefix}; returns how many there were. */
    public int deleteAll(String bucket, String prefix) {
        List<StoredObject> objects = list(bucket, prefix);
        for (StoredObject object : objects) {
            delete(bucket, object.key());
        }
        return objects.size();
    }

    /**
     * Publishes a multi-object artifact so that readers see all of it or nothing: the data objects
     * first, then the pointer (a JSON document built from their references) last. If any write
     * fails, the data objects already written are removed and nothing points at them.
     *
     * @return the reference of the pointer object
     */
    public ObjectRef writeThenPoint(
            String bucket, List<Upload> data, String pointerKey, Function<List<ObjectRef>, ?> pointer) {
        return writeThenPoint(
                bucket,
                data,
                pointerKey,
                pointer,
                (store, b, key, json) -> store.put(b, key, json, "application/json"));
    }

    /** Writes a pointer document's bytes at its key: a plain put, or one with a signature beside it. */
    @FunctionalInterface
    public interface PointerWrite {
        ObjectRef write(ArtifactStore store, String bucket, String key, byte[] json);
    }

    /** As {@link #writeThenPoint(String, List, String, Function)}, the pointer written by {@code write}. */
    public ObjectRef writeThenPoint(
            String bucket,
            List<Upload> data,
            String pointerKey,
            Function<List<ObjectRef>, ?> pointer,
            PointerWrite write) {
        List<ObjectRef> written = new ArrayList<>();
        try {
            for (Upload upload : data) {
                written.add(put(bucket, upload));
            }
            return write.write(this, bucket, pointerKey, Json.write(pointer.apply(List.copyOf(written))));
        } catch (RuntimeException e) {
            for (ObjectRef ref : written) {
                try {
                    delete(ref.bucket(), ref.key());
                } catch (RuntimeException cleanup) {
                    LOG.log(
                            System.Logger.Level.WARNING,
                            "could not remove unreferenced " + ref.key() + " after a failed publish: "
                                    + cleanup.getMessage());
                }
            }
            throw e;
        }
    }

    /**
     * @param declaredSize the size the reference declares (0: none); reading stops one byte past it,
     *                     so an object that grew is refused without being buffered whole
     */
    private byte[] read(String bucket, String key, String expectedSha256, long declaredSize) {
        return retrying(() -> readOnce(bucket, key, expectedSha256, declaredSize));
    }

    private byte[] readOnce(String bucket, String key, String expectedSha256, long declaredSize) {
        MessageDigest digest = Sha256.digest();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long limit = declaredSize > 0 ? declaredSize + 1 : Long.MAX_VALUE;
        try (InputStream in = open(bucket, key)) {
            byte[] buffer = new byte[1 << 16];
            for (int n;
                    out.size() < limit
                            && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - out.size()))) > 0; ) {
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new StorageUnavailableException(location(bucket + "/" + key) + ": read failed: " + e.getMessage(), e);
        }
        if (declaredSize > 0 && out.size() != declaredSize) {
            throw ObjectIntegrityException.size(location(bucket + "/" + key), declaredSize, out.size());
        }
        if (expectedSha256 != null) {
            verify(bucket + "/" + key, expectedSha256, Sha256.hex(digest));
        }
        return out.toByteArray();
    }

    private void verify(String object, String expected, String actual) {
        if (!expected.equalsIgnoreCase(actual)) {
            throw new ObjectIntegrityException(location(object), expected, actual);
        }
    }

    /** Opens the object's stream; the caller retries the whole read (the stream can break midway). */
    private InputStream open(String bucket, String key) {
        return once(
                "get",
                bucket + "/" + key,
                () -> client.getObject(
                        GetObjectArgs.builder().bucket(bucket).object(key).build()));
    }

    private StatObjectResponse stat(String bucket, String key) {
        return call(
                "stat",
                bucket + "/" + key,
                () -> client.statObject(
                        StatObjectArgs.builder().bucket(bucket).object(key).build()));
    }

    /** A MinIO client call; the client reports I/O failures as unchecked exceptions too. */
    @FunctionalInterface
    private interface S3Call<T> {
        T run() throws MinioException, IOException;
    }

    /** A MinIO client call, retried while the server is unavailable. */
    private <T> T call(String operation, String object, S3Call<T> call) {
        return retrying(() -> once(operation, object, call));
    }

    /** A MinIO client call, tried once. */
    private <T> T once(String operation, String object, S3Call<T> call) {
        try {
            return call.run();
        } catch (MinioException e) {
            throw failure(operation, object, e);
        } catch (StorageException e) {
            throw e;
        } catch (FileSystemException | IllegalArgumentException e) {
            // This side's trouble (a local file, a bad argument): repeating it would not help.
            throw new StorageException(location(object) + ": " + operation + " failed: " + rootCause(e), e);
        } catch (IOException | RuntimeException e) {
            // The client reports refused connections and timeouts this way.
            throw new StorageUnavailableException(location(object) + ": " + operation + " failed: " + rootCause(e), e);
        }
    }

    /**
     * Repeats {@code attempt} while it fails with {@link StorageUnavailableException}, waiting 0.2 s, 0.4 s,
     * ... up to 5 s (with jitter) between attempts, until the retry budget would be exceeded; then the last
     * failure is thrown, saying how long the server was tried.
     */
    private <T> T retrying(Supplier<T> attempt) {
        long start = System.nanoTime();
        long deadline = start + retryBudget.toNanos();
        long delayMs = FIRST_RETRY_DELAY_MS;
        for (int attempts = 1; ; attempts++) {
            try {
                return attempt.get();
            } catch (StorageUnavailableException e) {
                long waitMs = delayMs + ThreadLocalRandom.current().nextLong(delayMs / 4 + 1);
                if (System.nanoTime() + waitMs * 1_000_000 > deadline) {
                    if (attempts == 1) {
                        throw e;
                    }
                    throw new StorageUnavailableException(
                            e.getMessage() + " (" + attempts + " attempts over "
                                    + Duration.ofNanos(System.nanoTime() - start)
                                            .toSeconds() + " s)",
                            e);
                }
                try {
                    Thread.sleep(waitMs);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
            }
        }
    }

    private StorageException failure(String operation, String object, MinioException e) {
        if (e instanceof ErrorResponseException response && response.errorResponse() != null) {
            String code = response.errorResponse().code();
            if (NOT_FOUND_CODES.contains(code)) {
                return new ObjectNotFoundException(location(object));
            }
            if (UNAVAILABLE_CODES.contains(code)
                    || response.response() != null && response.response().code() >= 500) {
                return new StorageUnavailableException(
                        location(object) + ": " + operation + " failed: the server answered " + code + " ("
                                + response.errorResponse().message() + ")",
                        e);
            }
            return new StorageException(
                    location(object) + ": " + operation + " refused by the server: " + code + " ("
                            + response.errorResponse().message() + ")",
                    e);
        }
        if (e instanceof ErrorResponseException response
                && response.response() != null
                && response.response().code() == 404) {
            return new ObjectNotFoundException(location(object));
        }
        if (e instanceof ServerException || e instanceof InvalidResponseException) {
            // A 5xx without an S3 error body, or a proxy's page in front of the server.
            return new StorageUnavailableException(location(object) + ": " + operation + " failed: " + rootCause(e), e);
        }
        return new StorageException(location(object) + ": " + operation + " failed: " + rootCause(e), e);
    }

    private String location(String object) {
        return "S3 " + endpoint + (object.isEmpty() ? "" : " " + object);
    }

    static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /** An object's bytes and the ETag they were read under, for a write conditional on them ({@link #putIfMatch}). */
    public record Tagged(byte[] data, String etag) {}

    /**
     * The object's bytes and ETag from one GET (so the two belong together), verified against the sha256
     * stored with it when it has one.
     *
     * @throws ObjectNotFoundException when there is no such object
     */
    public Tagged getTagged(String bucket, String key) {
        return call("get", bucket + "/" + key, () -> {
            try (GetObjectResponse response = client.getObject(
                    GetObjectArgs.builder().bucket(bucket).object(key).build())) {
                byte[] data = response.readAllBytes();
                String sha256 = response.headers().get("x-amz-meta-" + SHA256_METADATA);
                if (sha256 != null) {
                    verify(bucket + "/" + key, sha256, Sha256.of(data));
                }
                return new Tagged(data, unquoted(response.headers().get("ETag")));
            } catch (IOException e) {
                throw new StorageUnavailableException(
                        location(bucket + "/" + key) + ": get failed: " + e.getMessage(), e);
            }
        });
    }

    /**
     * Writes the object only when none has its key ({@code If-None-Match: *}): of two writers racing for
     * the key, exactly one succeeds. Returns the new object's ETag, or empty when an object was there.
     */
    public Optional<String> putIfAbsent(String bucket, String key, byte[] data, String contentType) {
        return conditionalPut(bucket, key, data, contentType, Map.of("If-None-Match", "*"));
    }

    /**
     * Replaces the object only while its ETag is still {@code etag} ({@code If-Match}), as read by
     * {@link #getTagged}: a compare-and-swap. Returns the new ETag, or empty when the object has changed
     * or is gone.
     */
    public Optional<String> putIfMatch(String bucket, String key, byte[] data, String contentType, String etag) {
        return conditionalPut(bucket, key, data, contentType, Map.of("If-Match", "\"" + etag + "\""));
    }

    private Optional<String> conditionalPut(
            String bucket, String key, byte[] data, String contentType, Map<String, String> condition) {
        String sha256 = Sha256.of(data);
        int[] attempts = {0};
        return call("conditional put", bucket + "/" + key, () -> {
            attempts[0]++;
            try {
                ObjectWriteResponse written = client.putObject(PutObjectArgs.builder()
                        .bucket(bucket)
                        .object(key)
                        .data(data, data.length)
                        .contentType(contentType)
                        .headers(condition)
                        .userMetadata(Map.of(SHA256_METADATA, sha256))
                        .build());
                return Optional.of(unquoted(written.etag()));
            } catch (ErrorResponseException e) {
                if (preconditionFailed(e)) {
                    // A retry refused because an earlier attempt did write (its answer was lost) has won.
                    return attempts[0] > 1 ? ourWrite(bucket, key, sha256) : Optional.<String>empty();
                }
                throw e;
            }
        });
    }

    /** The object's ETag when it holds the bytes with {@code sha256} (this writer's), else empty. */
    private Optional<String> ourWrite(String bucket, String key, String sha256) {
        try {
            StatObjectResponse stat = stat(bucket, key);
            return sha256.equals(stat.userMetadata().getFirst(SHA256_METADATA))
                    ? Optional.of(unquoted(stat.etag()))
                    : Optional.empty();
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        }
    }

    /** 412, or 409 where a server reports two conditional writes that raced; 404 for If-Match on no object. */
    private static boolean preconditionFailed(ErrorResponseException e) {
        String code = e.errorResponse() == null ? "" : e.errorResponse().code();
        int status = e.response() == null ? 0 : e.response().code();
        return status == 412
                || "PreconditionFailed".equals(code)
                || "ConditionalRequestConflict".equals(code)
                || NOT_FOUND_CODES.contains(code);
    }

    private static String unquoted(String etag) {
        return etag == null ? null : etag.replace("\"", "");
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (Exception e) {
            throw new StorageException("closing the S3 client failed", e);
        }
    }
}
