package dev.ddpm.core.events;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class S3EventNotificationTest {

    /** The shape MinIO's Kafka notification target publishes. */
    private static final String MINIO_PUT = """
            {"EventName":"s3:ObjectCreated:Put","Key":"ddpm-datasets/emoji/a%20b.png",
             "Records":[{"eventVersion":"2.0","eventSource":"minio:s3","eventName":"s3:ObjectCreated:Put",
               "eventTime":"2026-11-28T10:00:00.000Z",
               "s3":{"bucket":{"name":"ddpm-datasets"},"object":{"key":"emoji%2Fa+b.png","size":1234}}},
              {"eventName":"s3:ObjectCreated:Put",
               "s3":{"bucket":{"name":"ddpm-models"},"object":{"key":"x%2Fy.onnx"}}}]}
            """;

    @Test
    void datasetObjectChangesBecomeDatasetUpdates() {
        var node = Json.parse(MINIO_PUT.getBytes(StandardCharsets.UTF_8), "n");

        assertThat(S3EventNotification.matches(node)).isTrue();
        assertThat(S3EventNotification.toDatasetUpdates(node))
                .containsExactly(
                        new DatasetUpdated("emoji", "emoji/a b.png", null, "s3-notification:s3:ObjectCreated:Put"));
    }

    @Test
    void cloudEventsAreNotMistakenForNotifications() {
        var node =
                Json.parse(EventCodec.encode(CloudEvent.of("/t", SamplePayloads.of(EventType.DATASET_UPDATED))), "n");
        assertThat(S3EventNotification.matches(node)).isFalse();
    }

    @Test
    void recordsWithoutKeysAreRefusedWithTheirIndex() {
        var node = Json.parse("{\"Records\":[{\"eventName\":\"s3:ObjectCreated:Put\"}]}".getBytes(), "n");
        assertThatThrownBy(() -> S3EventNotification.toDatasetUpdates(node))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("Records[0]");
    }
}
