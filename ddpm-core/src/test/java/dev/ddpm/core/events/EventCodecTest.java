package dev.ddpm.core.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventCodecTest {

    @ParameterizedTest
    @EnumSource(EventType.class)
    void everyEventTypeRoundTrips(EventType type) {
        CloudEvent<?> event = CloudEvent.of("/ddpm/test", SamplePayloads.of(type));

        CloudEvent<?> decoded = EventCodec.decode(EventCodec.encode(event));

        assertThat(decoded).isEqualTo(event);
        assertThat(decoded.eventType()).isEqualTo(type);
        assertThat(decoded.subject()).isEqualTo(event.data().partitionKey());
    }

    @Test
    void wireFormatIsCloudEventsStructuredJson() {
        CloudEvent<?> event = CloudEvent.of("/ddpm/test", SamplePayloads.of(EventType.TRAINING_PROGRESS));
        JsonNode wire = Json.parse(EventCodec.encode(event), "test");

        assertThat(wire.get("specversion").asText()).isEqualTo("1.0");
        assertThat(wire.get("type").asText()).isEqualTo("dev.ddpm.training.progress.v1");
        assertThat(wire.get("source").asText()).isEqualTo("/ddpm/test");
        assertThat(wire.get("subject").asText()).isEqualTo("run-0001");
        assertThat(wire.get("datacontenttype").asText()).isEqualTo("application/json");
        assertThat(wire.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
        assertThat(wire.get("data").get("step").asLong()).isEqualTo(1200);
    }

    @Test
    void typedDecodeRefusesAnotherPayload() {
        byte[] wire = EventCodec.encode(CloudEvent.of("/t", SamplePayloads.of(EventType.MODEL_PUBLISHED)));

        assertThat(EventCodec.decode(wire, ModelPublished.class).data().name()).isEqualTo("emoji");
        assertThatThrownBy(() -> EventCodec.decode(wire, TrainingProgress.class))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("expected data TrainingProgress");
    }

    @Test
    void missingDataFieldIsNamed() {
        assertRejected(
                EventType.TRAINING_PROGRESS,
                e -> ((ObjectNode) e.get("data")).remove("step"),
                "data.step",
                "TrainingProgress: field 'step' is missing");
    }

    @Test
    void missingNestedFieldIsNamedWithItsPath() {
        assertRejected(
                EventType.TRAINING_REQUESTED,
                e -> ((ObjectNode) e.get("data").get("request").get("architecture")).remove("imageSize"),
                "data.request.architecture.imageSize",
                "field 'request.architecture.imageSize' is missing");
    }

    @Test
    void wrongTypeIsNamed() {
        assertRejected(
                EventType.TRAINING_PROGRESS,
                e -> ((ObjectNode) e.get("data")).put("step", "twelve"),
                "data.step",
                "field 'step' has an invalid value twelve");
    }

    @Test
    void outOfRangeValueIsNamed() {
        assertRejected(
                EventType.TRAINING_PROGRESS,
                e -> ((ObjectNode) e.get("data")).put("step", -5),
                "data.step",
                "field 'step' must be >= 0, was -5");
    }

    @Test
    void nestedSemanticErrorCarriesThePath() {
        assertRejected(
                EventType.TRAINING_REQUESTED,
                e -> ((ObjectNode) e.get("data").get("request").get("architecture")).put("imageSize", 0),
                "data.request.architecture.imageSize",
                "field 'request.architecture.imageSize' must be >= 1, was 0");
    }

    @Test
    void trainingOptionsAreCheckedAndOptional() {
        assertRejected(
                EventType.TRAINING_REQUESTED,
                e -> ((ObjectNode) e.get("data").get("request")).put("learningRateDecay", "step"),
                "data.request.learningRateDecay",
                "field 'request.learningRateDecay' has an invalid value step (must be none or cosine, was 'step')");
        assertRejected(
                EventType.TRAINING_REQUESTED,
                e -> ((ObjectNode) e.get("data").get("request")).put("snrGamma", -1),
                "data.request.snrGamma",
                "field 'request.snrGamma' must be in");
        assertRejected(
                EventType.TRAINING_REQUESTED,
                e -> ((ObjectNode) e.get("data").get("request")).put("maxMinutes", -5),
                "data.request.maxMinutes",
                "field 'request.maxMinutes' must be in [0.0, ");
        // Only the data set and the steps are required; the rest take the request's defaults.
        TrainingRequest minimal =
                TrainingRequest.builder().dataset("m").steps(10).build();
        assertThat(minimal.cosineDecay()).isFalse();
        assertThat(minimal.snrGamma()).isZero();
        assertThat(minimal.maxMinutes()).isZero();
    }

    /** The v1 request, whose config left the data set and resume point outside it, is refused by its type. */
    @Test
    void aVersionOneTrainingRequestIsRefusedAsAnUnknownType() {
        assertRejected(
                EventType.TRAINING_REQUESTED,
                e -> ((ObjectNode) e).put("type", "dev.ddpm.training.requested.v1"),
                "type",
                "unknown event type 'dev.ddpm.training.requested.v1'");
    }

    @Test
    void unknownEnumValueIsNamed() {
        assertRejected(
                EventType.SAMPLE_JOB_REQUESTED,
                e -> ((ObjectNode) e.get("data").get("request")).put("sampler", "rk4"),
                "data.request.sampler",
                "field 'request.sampler' has an invalid value rk4");
    }

    @Test
    void pathTricksInNamesAreRefused() {
        assertRejected(
                EventType.DATASET_UPDATED,
                e -> ((ObjectNode) e.get("data")).put("dataset", "../etc"),
                "data.dataset",
                "field 'dataset' must match");
    }

    @Test
    void missingEnvelopeAttributeIsNamed() {
        assertRejected(
                EventType.MODEL_PUBLISHED,
                e -> ((ObjectNode) e).remove("source"),
                "source",
                "attribute 'source' is missing");
        assertRejected(
                EventType.MODEL_PUBLISHED,
                e -> ((ObjectNode) e).remove("id"),
                "id",
                "CloudEvent: attribute 'id' is missing");
        assertRejected(
                EventType.MODEL_PUBLISHED, e -> ((ObjectNode) e).remove("data"), "data", "attribute 'data' is missing");
    }

    /** The flat job shape of v1, which could not carry the whole request, is refused by its type. */
    @Test
    void aVersionOneSampleJobIsRefusedAsAnUnknownType() {
        assertRejected(
                EventType.SAMPLE_JOB_REQUESTED,
                e -> ((ObjectNode) e).put("type", "dev.ddpm.sample-job.requested.v1"),
                "type",
                "unknown event type 'dev.ddpm.sample-job.requested.v1'");
    }

    @Test
    void malformedEnvelopeAttributesAreRefused() {
        assertRejected(
                EventType.MODEL_PUBLISHED,
                e -> ((ObjectNode) e).put("specversion", "0.3"),
                "specversion",
                "unsupported specversion '0.3'");
        assertRejected(
                EventType.MODEL_PUBLISHED,
                e -> ((ObjectNode) e).put("time", "yesterday"),
                "time",
                "'time' must be an RFC 3339 timestamp, was 'yesterday'");
        assertRejected(
                EventType.MODEL_PUBLISHED,
                e -> ((ObjectNode) e).put("type", "com.example.other"),
                "type",
                "unknown event type 'com.example.other'");
        assertRejected(
                EventType.MODEL_PUBLISHED,
                e -> ((ObjectNode) e).put("datacontenttype", "text/xml"),
                "datacontenttype",
                "datacontenttype must be application/json");
    }

    @Test
    void nonJsonIsRefused() {
        assertThatThrownBy(() -> EventCodec.decode("{not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageStartingWith("CloudEvent: not valid JSON");
        assertThatThrownBy(() -> EventCodec.decode(new byte[0]))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessage("CloudEvent: empty document");
        assertThatThrownBy(() -> EventCodec.decode("[1,2]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("must be a JSON object");
    }

    @Test
    void unknownFieldsAreIgnoredForForwardCompatibility() {
        CloudEvent<?> event = CloudEvent.of("/t", SamplePayloads.of(EventType.TRAINING_PROGRESS));
        ObjectNode wire = (ObjectNode) Json.parse(EventCodec.encode(event), "t");
        ((ObjectNode) wire.get("data")).put("gpuTemperature", 71);
        wire.put("traceparent", "00-abc-def-01");

        assertThat(EventCodec.decode(Json.write(wire))).isEqualTo(event);
    }

    @Test
    void optionalFieldsMayBeOmitted() {
        CloudEvent<?> event = CloudEvent.of("/t", new TrainingFailed("run-9", null, "out of memory"));
        ObjectNode wire = (ObjectNode) Json.parse(EventCodec.encode(event), "t");
        ((ObjectNode) wire.get("data")).remove("step");

        assertThat(((TrainingFailed) EventCodec.decode(Json.write(wire)).data()).step())
                .isNull();
    }

    private static void assertRejected(EventType type, Consumer<JsonNode> corruption, String field, String message) {
        CloudEvent<?> event = CloudEvent.of("/ddpm/test", SamplePayloads.of(type));
        JsonNode wire = Json.parse(EventCodec.encode(event), "test");
        corruption.accept(wire);

        assertThatThrownBy(() -> EventCodec.decode(Json.write(wire)))
                .isInstanceOfSatisfying(InvalidPayloadException.class, e -> {
                    assertThat(e.getMessage()).contains(message);
                    assertThat(e.field()).isEqualTo(field);
                });
    }
}
