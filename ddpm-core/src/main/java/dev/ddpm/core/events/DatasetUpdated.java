package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * Objects under {@code ddpm-datasets/{dataset}/} changed. Key: dataset name.
 *
 * @param dataset     dataset name, the first segment of the object keys
 * @param changedKey  the object that changed, when one object triggered it (S3 notifications)
 * @param objectCount objects in the dataset after the change, when the producer knows it
 * @param origin      who changed it: gateway upload, S3 notification, operator
 */
public record DatasetUpdated(
        String dataset,
        @OptionalField String changedKey,
        @OptionalField Long objectCount,
        @OptionalField String origin) implements EventData {

    public DatasetUpdated {
        Require.safeName(dataset, "dataset");
        if (objectCount != null) {
            Require.atLeast(objectCount, 0, "objectCount");
        }
    }

    @Override
    public String partitionKey() {
        return dataset;
    }
}
