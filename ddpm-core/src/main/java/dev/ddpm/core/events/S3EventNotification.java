package dev.ddpm.core.events;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.storage.Buckets;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * MinIO's (and S3's) bucket notification body, as MinIO's Kafka target publishes it to
 * {@code ddpm.datasets}: {@code {"EventName": ..., "Records": [{"eventName": ..., "s3": {"bucket":
 * {"name": ...}, "object": {"key": ..., "size": ...}}}]}}. Only object changes in the datasets
 * bucket become {@link DatasetUpdated}; the dataset is the first segment of the (URL-encoded) key.
 */
public final class S3EventNotification {

    private S3EventNotification() {}

    /** True when the JSON looks like an S3 event notification rather than a CloudEvent. */
    public static boolean matches(JsonNode node) {
        return node.isObject() && node.has("Records") && !node.has("specversion");
    }

    public static List<DatasetUpdated> toDatasetUpdates(JsonNode node) {
        JsonNode records = node.get("Records");
        if (records == null || !records.isArray()) {
            throw new InvalidPayloadException("S3 notification: 'Records' must be an array", "Records");
        }
        List<DatasetUpdated> updates = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            JsonNode record = records.get(i);
            String eventName = record.path("eventName").asText("");
            String bucket = record.path("s3").path("bucket").path("name").asText("");
            String encodedKey = record.path("s3").path("object").path("key").asText("");
            if (eventName.isEmpty() || bucket.isEmpty() || encodedKey.isEmpty()) {
                throw new InvalidPayloadException(
                        "S3 notification: Records[" + i + "] lacks eventName, s3.bucket.name or s3.object.key",
                        "Records[" + i + "]");
            }
            if (!Buckets.DATASETS.equals(bucket) || !eventName.matches("s3:Object(Created|Removed):.*")) {
                continue;
            }
            String key;
            try {
                key = URLDecoder.decode(encodedKey, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new InvalidPayloadException(
                        "S3 notification: Records[" + i + "].s3.object.key '" + encodedKey + "' is not URL-encoded: "
                                + e.getMessage(),
                        "Records[" + i + "].s3.object.key",
                        e);
            }
            int slash = key.indexOf('/');
            if (slash <= 0) {
                continue; // an object at the bucket root belongs to no dataset
            }
            updates.add(new DatasetUpdated(key.substring(0, slash), key, null, "s3-notification:" + eventName));
        }
        return updates;
    }
}
