package dev.ddpm.gateway.service;

import dev.ddpm.core.events.DatasetUpdated;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.DatasetOwner;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.ObjectTooLargeException;
import dev.ddpm.core.storage.StoredObject;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.config.GatewayConfig;
import dev.ddpm.gateway.messaging.outgoing.GatewayEvents;
import jakarta.inject.Singleton;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Data set uploads for both APIs: one image or archive (recognised by content) stored under
 * {@code ddpm-datasets/{name}/}, then DatasetUpdated (which may start a retraining). The key that
 * first uploads to a data set owns it ({@link DatasetOwner}): only it (or an admin) adds to it, sees
 * it listed, trains on it and deletes it. A name another key holds is refused on upload (409, first
 * come first served: the first upload claims the name before it streams a byte, so a long upload
 * cannot be overtaken by a short one of another key); to every other request another key's data set
 * answers as one that does not exist.
 */
@Singleton
public class DatasetUploads {

    /** What was stored. */
    public record Stored(String dataset, String key, String sha256, long bytes, String format, long objects) {}

    /** One data set in the bucket. */
    public record Summary(String name, long objects, long bytes) {}

    private static final System.Logger LOG = System.getLogger(DatasetUploads.class.getName());

    private final ArtifactStore store;
    private final GatewayEvents events;
    private final GatewayConfig config;
    private final UploadPacing pacing;

    public DatasetUploads(ArtifactStore store, GatewayEvents events, GatewayConfig config, UploadPacing pacing) {
        this.store = store;
        this.events = events;
        this.config = config;
        this.pacing = pacing;
    }

    public long maxBytes() {
        return config.maxUploadBytes();
    }

    /**
     * Streams one upload to S3 (never held whole in memory), counted against
     * {@code gateway.max-upload-bytes} on the way; the object appears only once complete.
     *
     * @param file object name inside the data set; null: one is made up from the time and format
     * @throws GatewayException 400 (names, empty), 408 (arriving too slowly, {@link UploadPacing}), 409 (a
     *     data set another key owns, or one without an owner for a key that is no admin; also after the
     *     upload when another key took the name meanwhile, and then nothing stays stored), 413 (too large),
     *     415 (not a format the trainer reads)
     */
    public Stored upload(String name, String file, InputStream body, Caller uploader) {
        Require.safeName(name, "name");
        if (file != null) {
            Require.safeName(file, "file");
        }
        boolean claimed = claimNameFor(uploader, name);
        try (UploadPacing.Paced paced = pacing.watch(body)) {
            Stored stored = store(name, file, paced);
            requireStillFor(uploader, name, stored.key());
            events.datasetUpdates()
                    .sendAndWait(
                            new DatasetUpdated(name, stored.key(), stored.objects(), "gateway:" + uploader.keyId()));
            return stored;
        } catch (RuntimeException e) {
            if (claimed) {
                releaseUnusedClaim(name);
            }
            throw e;
        }
    }

    /**
     * Takes the name before a byte is streamed: a data set without an owner record gets one naming the
     * uploader, written only if none exists (so of two keys racing for a new name exactly one wins);
     * a key may add to a data set it owns (an admin: to any). A data set with objects but no owner record
     * (put there by the command line) is the admins'.
     *
     * @return whether this call wrote the owner record
     * @throws GatewayException 409 when the name is another key's
     */
    private boolean claimNameFor(Caller uploader, String name) {
        Optional<String> owner = owner(name);
        if (owner.isEmpty() && (store.list(Buckets.DATASETS, name + "/").isEmpty() || Ownership.sees(uploader, null))) {
            if (claim(uploader, name)) {
                return true;
            }
            owner = owner(name); // another upload claimed it a moment ago
        }
        if (!Ownership.sees(uploader, owner.orElse(null))) {
            throw nameTaken(name);
        }
        return false;
    }

    /**
     * After the object is stored, the data set must still be the uploader's: its claim may have been
     * released meanwhile (a failed first upload of the same key, or a delete), and then it is claimed
     * again; if another key took the name in between, its data set must not take this key's object in.
     */
    private void requireStillFor(Caller uploader, String name, String objectKey) {
        Optional<String> owner = owner(name);
        if (owner.isEmpty() && !claim(uploader, name)) {
            owner = owner(name);
        }
        if (owner.isPresent() && !Ownership.sees(uploader, owner.get())) {
            store.delete(Buckets.DATASETS, objectKey);
            throw nameTaken(name);
        }
    }

    /** Writes the owner record naming the uploader unless one exists; true when this call wrote it. */
    private boolean claim(Caller uploader, String name) {
        byte[] record = Json.write(new DatasetOwner(name, uploader.keyId(), Instant.now()));
        return store.putIfAbsent(Buckets.DATASETS, DatasetOwner.key(name), record, "application/json")
                .isPresent();
    }

    /**
     * A first upload that failed leaves the name free again when nothing was stored under it, so that a
     * refused or broken upload does not hold a name forever. An upload of the same key that is still on
     * its way claims the name again once it is stored ({@link #requireStillFor}).
     */
    private void releaseUnusedClaim(String name) {
        try {
            if (store.list(Buckets.DATASETS, name + "/").isEmpty()) {
                store.delete(Buckets.DATASETS, DatasetOwner.key(name));
            }
        } catch (RuntimeException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "the unused claim of data set '" + name + "' was not released: " + e.getMessage());
        }
    }

    private static GatewayException nameTaken(String name) {
        return new GatewayException(
                409,
                "data set name taken",
                "data set name '" + name + "' is taken by another key: upload under another name",
                "name");
    }

    /**
     * Waits for an upload's first part under the bounds its bytes have ({@link UploadPacing}): a
     * client that opens an upload and sends nothing is cut off like one that sends too slowly.
     *
     * @param firstPart blocks until the first part has arrived (or the stream ended or failed)
     * @throws GatewayException 408 when nothing came within the bounds
     */
    public void awaitFirstPart(Runnable firstPart) {
        InputStream waiting = new InputStream() {
            @Override
            public int read() {
                firstPart.run();
                return -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return read();
            }
        };
        try (UploadPacing.Paced paced = pacing.watch(waiting)) {
            try {
                paced.read();
            } catch (IOException | RuntimeException e) {
                throw paced.cutOff()
                        .map(DatasetUploads::tooSlow)
                        .orElseThrow(() -> e instanceof RuntimeException r
                                ? r
                                : new GatewayException(
                                        400,
                                        "upload interrupted",
                                        "the upload could not be read: " + e.getMessage(),
                                        "data"));
            }
        }
    }

    private Stored store(String name, String file, UploadPacing.Paced paced) {
        BufferedInputStream in = new BufferedInputStream(paced, 1 << 16);
        byte[] head;
        try {
            in.mark(UploadFormat.HEADER_BYTES);
            head = in.readNBytes(UploadFormat.HEADER_BYTES);
            in.reset();
        } catch (IOException e) {
            throw paced.cutOff()
                    .map(DatasetUploads::tooSlow)
                    .orElseGet(() -> new GatewayException(
                            400, "upload interrupted", "the upload could not be read: " + e.getMessage(), "data"));
        }
        if (head.length == 0) {
            throw new GatewayException(400, "empty upload", "the upload is empty", "data");
        }
        UploadFormat format = UploadFormat.detect(head)
                .orElseThrow(() -> new GatewayException(
                        415,
                        "unsupported upload format",
                        "the upload is none of PNG, JPEG, zip, tar, tar.gz or MNIST IDX images"));
        String objectName = file != null ? file : "upload-" + System.currentTimeMillis() + "." + format.extension();
        ObjectRef ref;
        try {
            ref = store.putStream(
                    Buckets.DATASETS, name + "/" + objectName, in, config.maxUploadBytes(), "application/octet-stream");
        } catch (ObjectTooLargeException e) {
            throw tooLarge();
        } catch (RuntimeException e) {
            // The store reports a failed read of the upload as its own failure; a cut-off is the client's.
            throw paced.cutOff().map(DatasetUploads::tooSlow).orElseThrow(() -> e);
        }
        long objects = store.list(Buckets.DATASETS, name + "/").size();
        return new Stored(
                name, ref.key(), ref.sha256(), ref.sizeBytes(), format.name().toLowerCase(Locale.ROOT), objects);
    }

    /** The data set's owner, if one is recorded (not for sets uploaded before owners were, or not through here). */
    public Optional<String> owner(String name) {
        return DatasetOwner.of(store, name);
    }

    /**
     * Removes every object of the data set, then its owner record. Models trained on it and their
     * checkpoints stay.
     *
     * @return how many objects were removed
     * @throws GatewayException 404 for a data set with no objects, and for one the caller may not see
     */
    public long delete(String name, Caller caller) {
        Require.safeName(name, "name");
        boolean stored = !store.list(Buckets.DATASETS, name + "/").isEmpty();
        Optional<String> owner = owner(name);
        if ((!stored && owner.isEmpty()) || !Ownership.sees(caller, owner.orElse(null))) {
            throw new GatewayException(404, "unknown data set", "data set '" + name + "' has no objects");
        }
        int deleted = store.deleteAll(Buckets.DATASETS, name + "/");
        if (owner.isPresent()) {
            store.delete(Buckets.DATASETS, DatasetOwner.key(name));
        }
        return deleted;
    }

    private static GatewayException tooSlow(String detail) {
        return new GatewayException(408, "upload too slow", detail);
    }

    private GatewayException tooLarge() {
        return new GatewayException(
                413,
                "upload too large",
                "uploads are limited to " + config.maxUploadBytes()
                        + " bytes (gateway.max-upload-bytes); nothing was stored");
    }

    /** The data sets {@code caller} may see: its own (an admin: every one). */
    public List<Summary> list(Caller caller) {
        return list().stream()
                .filter(set -> Ownership.sees(caller, owner(set.name()).orElse(null)))
                .toList();
    }

    private List<Summary> list() {
        Map<String, long[]> sets = new TreeMap<>();
        for (StoredObject object : store.list(Buckets.DATASETS, "")) {
            if (object.key().startsWith(ArtifactStore.STAGING_PREFIX)
                    || !object.key().contains("/")) {
                continue; // an upload still on its way, or an owner record at the root
            }
            long[] totals = sets.computeIfAbsent(object.key().split("/")[0], k -> new long[2]);
            totals[0]++;
            totals[1] += object.sizeBytes();
        }
        List<Summary> out = new ArrayList<>();
        sets.forEach((name, totals) -> out.add(new Summary(name, totals[0], totals[1])));
        return out;
    }
}
