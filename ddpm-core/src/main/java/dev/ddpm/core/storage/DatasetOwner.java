package dev.ddpm.core.storage;

import dev.ddpm.core.json.Require;

import java.time.Instant;
import java.util.Optional;

/**
 * Who owns a data set: the API key that first uploaded to it, recorded in
 * {@code ddpm-datasets/{name}.owner.json}, beside the data set rather than in it, so that no reader
 * of the data set's objects takes it for an image (an object at the bucket's root belongs to no
 * data set). A data set without one (put there by the command line) is the admins'.
 *
 * @param owner the API key id
 * @param since when that first upload was stored
 */
public record DatasetOwner(String dataset, String owner, Instant since) {

    public DatasetOwner {
        Require.safeName(dataset, "dataset");
        Require.nonBlank(owner, "owner");
        Require.nonNull(since, "since");
    }

    /** The object key of a data set's owner record in the data sets bucket. */
    public static String key(String dataset) {
        return dataset + ".owner.json";
    }

    /** The data set's owner, if one is recorded. */
    public static Optional<String> of(ArtifactStore store, String dataset) {
        try {
            return Optional.of(store.getJson(Buckets.DATASETS, key(dataset), DatasetOwner.class)
                    .owner());
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        }
    }
}
