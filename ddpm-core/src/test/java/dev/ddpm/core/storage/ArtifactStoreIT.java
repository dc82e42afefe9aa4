package dev.ddpm.core.storage;

import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.testing.TestStack;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The artifact store against the real S3 server (S3Proxy here, MinIO in deployments). */
class ArtifactStoreIT {

    private static final S3Settings S3 = TestStack.s3();
    private static ArtifactStore store;
    private final String prefix = "it-" + UUID.randomUUID() + "/";

    @BeforeAll
    static void open() {
        store = new ArtifactStore(S3);
        store.ensureBuckets(Buckets.ALL);
    }

    @AfterAll
    static void close() {
        store.close();
    }

    @Test
    void bucketsOfTheDesignExist() {
        assertThat(store.listBuckets()).containsAll(Buckets.ALL);
        assertThat(store.ensureBuckets(Buckets.ALL)).isEmpty();
    }

    @Test
    void putThenGetVerifiesTheSha256() {
        byte[] data = "hello diffusion".getBytes(StandardCharsets.UTF_8);

        ObjectRef ref = store.put(Buckets.MODELS, prefix + "a.txt", data, "text/plain");

        assertThat(ref.sha256()).isEqualTo(Sha256.of(data));
        assertThat(ref.sizeBytes()).isEqualTo(data.length);
        assertThat(store.get(ref)).isEqualTo(data);
        assertThat(store.get(Buckets.MODELS, prefix + "a.txt")).isEqualTo(data);
        assertThat(store.storedSha256(Buckets.MODELS, prefix + "a.txt")).contains(ref.sha256());
    }

    @Test
    void aStreamGoesUpWholeWithItsSha256OrNotAtAll(@TempDir Path dir) {
        // Three parts, size unknown in advance.
        byte[] data = new byte[(int) (2 * ArtifactStore.STREAM_PART_BYTES) + 3];
        new Random(11).nextBytes(data);
        ObjectRef ref = store.putStream(
                Buckets.DATASETS,
                prefix + "big.bin",
                new ByteArrayInputStream(data),
                data.length,
                "application/octet-stream");
        assertThat(ref.sizeBytes()).isEqualTo(data.length);
        assertThat(ref.sha256()).isEqualTo(Sha256.of(data));
        assertThat(store.storedSha256(Buckets.DATASETS, prefix + "big.bin")).contains(ref.sha256());
        assertThat(store.get(ref)).isEqualTo(data);
        assertThat(store.download(Buckets.DATASETS, prefix + "big.bin", dir.resolve("big.bin")))
                .hasBinaryContent(data);

        assertThatThrownBy(() -> store.putStream(
                        Buckets.DATASETS,
                        prefix + "over.bin",
                        new ByteArrayInputStream(data),
                        data.length - 1,
                        "application/octet-stream"))
                .isInstanceOf(ObjectTooLargeException.class)
                .hasMessageContaining("limit of " + (data.length - 1));
        assertThat(store.exists(Buckets.DATASETS, prefix + "over.bin")).isFalse();
        assertThat(store.list(Buckets.DATASETS, ArtifactStore.STAGING_PREFIX)).isEmpty();
    }

    @Test
    void largeFileGoesUpInPartsAndDownloadsVerified(@TempDir Path dir) throws Exception {
        byte[] data = new byte[12 * 1024 * 1024 + 17]; // above the 5 MiB multipart threshold
        new Random(7).nextBytes(data);
        Path source = Files.write(dir.resolve("unet.onnx"), data);

        ObjectRef ref = store.put(Buckets.MODELS, prefix + "unet.onnx", source, "application/octet-stream");
        Path target = store.download(ref, dir.resolve("copy/unet.onnx"));

        assertThat(Files.readAllBytes(target)).isEqualTo(data);
        assertThat(ref.sha256()).isEqualTo(Sha256.of(source));
    }

    @Test
    void listingSeesEverythingUnderThePrefixAcrossPages() {
        for (int i = 0; i < 1005; i++) { // more than one page of 1000 keys
            store.put(
                    Buckets.DATASETS,
                    prefix + "img/" + String.format("%04d", i) + ".png",
                    new byte[] {(byte) i},
                    "image/png");
        }
        store.put(Buckets.DATASETS, prefix + "other.txt", new byte[] {1}, "text/plain");

        List<StoredObject> listed = store.list(Buckets.DATASETS, prefix + "img/");

        assertThat(listed).hasSize(1005);
        assertThat(listed.get(0).key()).isEqualTo(prefix + "img/0000.png");
        assertThat(listed.get(1004).key()).isEqualTo(prefix + "img/1004.png");
    }

    @Test
    void corruptObjectIsRefused() throws Exception {
        byte[] good = "weights v1".getBytes(StandardCharsets.UTF_8);
        byte[] tampered = "weights v2".getBytes(StandardCharsets.UTF_8);
        String key = prefix + "corrupt.bin";
        // Another writer replaces the bytes but leaves the old sha256 in the metadata.
        try (MinioClient raw = MinioClient.builder()
                .endpoint(S3.endpoint())
                .credentials(S3.accessKey(), S3.secretKey())
                .build()) {
            raw.putObject(PutObjectArgs.builder()
                    .bucket(Buckets.MODELS)
                    .object(key)
                    .data(tampered, tampered.length)
                    .userMetadata(Map.of(ArtifactStore.SHA256_METADATA, Sha256.of(good)))
                    .build());
        }

        assertThatThrownBy(() -> store.get(Buckets.MODELS, key))
                .isInstanceOfSatisfying(ObjectIntegrityException.class, e -> {
                    assertThat(e.expectedSha256()).isEqualTo(Sha256.of(good));
                    assertThat(e.actualSha256()).isEqualTo(Sha256.of(tampered));
                })
                .hasMessageContaining(Buckets.MODELS + "/" + key + ": sha256 mismatch")
                .hasMessageContaining("refused");
        ObjectRef expected = new ObjectRef(Buckets.MODELS, key, good.length, Sha256.of(good));
        assertThatThrownBy(() -> store.get(expected)).isInstanceOf(ObjectIntegrityException.class);
    }

    @Test
    void anObjectLargerOrSmallerThanItsReferenceDeclaresIsRefused() {
        byte[] graph = new byte[1 << 20];
        ObjectRef stored = store.put(Buckets.MODELS, prefix + "sized.onnx", graph, "application/octet-stream");
        ObjectRef declaredSmaller = new ObjectRef(Buckets.MODELS, stored.key(), 1000, stored.sha256());
        assertThatThrownBy(() -> store.get(declaredSmaller))
                .isInstanceOf(ObjectIntegrityException.class)
                .hasMessageContaining(
                        "declared 1000 bytes but the stored object is larger (read stopped after 1001 bytes)");
        ObjectRef declaredLarger = new ObjectRef(Buckets.MODELS, stored.key(), graph.length + 1, stored.sha256());
        assertThatThrownBy(() -> store.get(declaredLarger))
                .isInstanceOf(ObjectIntegrityException.class)
                .hasMessageContaining("the stored object has " + graph.length);
        assertThat(store.get(stored)).hasSize(graph.length);
    }

    @Test
    void corruptDownloadLeavesNoFileBehind(@TempDir Path dir) {
        ObjectRef real = store.put(Buckets.MODELS, prefix + "m.onnx", new byte[] {1, 2, 3}, "application/octet-stream");
        ObjectRef wrong = new ObjectRef(real.bucket(), real.key(), 3, Sha256.of(new byte[] {9}));

        assertThatThrownBy(() -> store.download(wrong, dir.resolve("m.onnx")))
                .isInstanceOf(ObjectIntegrityException.class);
        assertThat(dir.toFile().list()).isEmpty();
    }

    @Test
    void writeThenPointPublishesDataBeforeThePointer() {
        String base = prefix + "emoji/v1/";
        ObjectRef pointer = store.writeThenPoint(
                Buckets.MODELS,
                List.of(
                        Upload.bytes(base + "unet.onnx", new byte[] {1, 2, 3}, "application/octet-stream"),
                        Upload.bytes(base + "samples.png", new byte[] {4, 5}, "image/png")),
                base + "latest.json",
                refs -> refs.get(0));

        ObjectRef target = store.getJson(pointer, ObjectRef.class);
        assertThat(target.key()).isEqualTo(base + "unet.onnx");
        assertThat(store.get(target)).containsExactly(1, 2, 3);
    }

    @Test
    void failedPublishLeavesNothingVisible() {
        String base = prefix + "broken/v1/";
        assertThatThrownBy(() -> store.writeThenPoint(
                        Buckets.MODELS,
                        List.of(Upload.bytes(base + "unet.onnx", new byte[] {1}, "application/octet-stream")),
                        base + "manifest.json",
                        refs -> {
                            throw new IllegalStateException("export validation failed");
                        }))
                .hasMessage("export validation failed");

        assertThat(store.list(Buckets.MODELS, base)).isEmpty();
    }

    @Test
    void jsonDocumentsAreValidatedOnRead() {
        ObjectRef ref = store.put(
                Buckets.MODELS,
                prefix + "bad.json",
                "{\"timesteps\": 0}".getBytes(StandardCharsets.UTF_8),
                "application/json");

        assertThatThrownBy(() -> store.getJson(ref, DiffusionConfig.class))
                .hasMessage("DiffusionConfig: field 'schedule' is missing");
    }

    @Test
    void missingObjectIsNamed() {
        assertThatThrownBy(() -> store.get(Buckets.MODELS, prefix + "nope"))
                .isInstanceOf(ObjectNotFoundException.class)
                .hasMessage("S3 " + S3.endpoint() + " " + Buckets.MODELS + "/" + prefix + "nope: no such object");
        assertThat(store.exists(Buckets.MODELS, prefix + "nope")).isFalse();
    }

    @Test
    void unreachableServerIsAClearError() {
        S3Settings dead = new S3Settings("http://127.0.0.1:1", "k", "s", null, Duration.ofSeconds(2));
        try (ArtifactStore unreachable = new ArtifactStore(dead)) {
            assertThatThrownBy(unreachable::listBuckets)
                    .isInstanceOf(StorageException.class)
                    .hasMessageStartingWith("S3 http://127.0.0.1:1: list buckets failed: ")
                    .hasMessageContaining("onnect");
        }
    }

    @Test
    void wrongCredentialsAreAClearError() {
        S3Settings wrong = new S3Settings(S3.endpoint(), S3.accessKey(), "not-the-secret", null, Duration.ofSeconds(5));
        try (ArtifactStore denied = new ArtifactStore(wrong)) {
            assertThatThrownBy(denied::listBuckets)
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("refused by the server");
        }
    }
}
