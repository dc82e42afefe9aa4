package dev.ddpm.trainer.service;

import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.StoredObject;
import dev.ddpm.trainer.data.DatasetException;
import dev.ddpm.trainer.data.DatasetReader;
import dev.ddpm.trainer.data.InMemoryImageSet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Brings {@code ddpm-datasets/{dataset}/} to local disk, streamed (each object verified against the
 * sha256 stored with it, when it has one), and decodes it with {@link DatasetReader} within its limits.
 */
final class DatasetFetcher {

    private final ArtifactStore store;
    private final Path workDir;
    private final DatasetReader.Limits limits;

    DatasetFetcher(ArtifactStore store, Path workDir, DatasetReader.Limits limits) {
        this.store = store;
        this.workDir = workDir;
        this.limits = limits;
    }

    InMemoryImageSet fetch(String dataset, int channels, int size) {
        List<StoredObject> objects = store.list(Buckets.DATASETS, dataset + "/");
        if (objects.isEmpty()) {
            throw new DatasetException(
                    "data set " + dataset + " is empty: no objects under " + Buckets.DATASETS + "/" + dataset + "/");
        }
        Path folder = null;
        try {
            Files.createDirectories(workDir);
            folder = Files.createTempDirectory(workDir, dataset + "-");
            for (StoredObject object : objects) {
                Path target = folder.resolve(object.key().substring(dataset.length() + 1))
                        .normalize();
                if (!target.startsWith(folder)) {
                    throw new DatasetException("object key " + object.key() + " escapes the data set folder");
                }
                Files.createDirectories(target.getParent());
                store.download(object.bucket(), object.key(), target);
            }
            return new DatasetReader(channels, size, limits).read(folder);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage data set " + dataset + " in " + workDir, e);
        } finally {
            deleteQuietly(folder);
        }
    }

    private static void deleteQuietly(Path folder) {
        if (folder == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder left behind is harmless
        }
    }
}
