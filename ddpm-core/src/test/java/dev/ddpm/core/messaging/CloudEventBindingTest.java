package dev.ddpm.core.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventCodec;
import dev.ddpm.core.events.TrainingProgress;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Both content modes of the CloudEvents Kafka binding decode to the same event; broken ones are refused by name. */
class CloudEventBindingTest {

    private final CloudEvent<TrainingProgress> event =
            CloudEvent.of("/ddpm/trainer-service", new TrainingProgress("run-1", 10, 100, 0.25, 12.5, 30));

    @Test
    void binaryAndStructuredModesDecodeToTheSameEvent() {
        RecordHeaders binary = binaryHeaders(event.time().toString());
        CloudEvent<?> fromBinary = CloudEventBinding.decode(binary, Json.write(event.data()));
        RecordHeaders structured = new RecordHeaders();
        structured.add("content-type", EventCodec.CONTENT_TYPE.getBytes(StandardCharsets.UTF_8));
        CloudEvent<?> fromStructured = CloudEventBinding.decode(structured, EventCodec.encode(event));

        assertThat(fromBinary).isEqualTo(event);
        assertThat(fromStructured).isEqualTo(event);
        assertThat(CloudEventBinding.isCloudEvent(binary)).isTrue();
        assertThat(CloudEventBinding.isCloudEvent(structured)).isTrue();
        assertThat(CloudEventBinding.isCloudEvent(new RecordHeaders())).isFalse();
    }

    @Test
    void aBrokenBinaryAttributeOrDataIsRefusedWithItsName() {
        assertThatThrownBy(() -> CloudEventBinding.decode(binaryHeaders("yesterday"), Json.write(event.data())))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'time'");
        RecordHeaders noId = binaryHeaders(event.time().toString());
        noId.remove("ce_id");
        assertThatThrownBy(() -> CloudEventBinding.decode(noId, Json.write(event.data())))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'id' is missing");
        assertThatThrownBy(() -> CloudEventBinding.decode(
                        binaryHeaders(event.time().toString()), "{\"runId\": ".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining(event.id())
                .hasMessageContaining("JSON");
    }

    private RecordHeaders binaryHeaders(String time) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("ce_specversion", bytes("1.0"));
        headers.add("ce_id", bytes(event.id()));
        headers.add("ce_source", bytes(event.source()));
        headers.add("ce_type", bytes(event.type()));
        headers.add("ce_subject", bytes(event.subject()));
        headers.add("ce_time", bytes(time));
        headers.add("content-type", bytes("application/json"));
        return headers;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
