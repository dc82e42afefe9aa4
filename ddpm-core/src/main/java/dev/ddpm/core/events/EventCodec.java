package dev.ddpm.core.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * CloudEvents 1.0 JSON event format (structured content mode) for the platform's events.
 *
 * <p>Decoding checks the envelope (specversion, required attributes, RFC 3339 time), resolves the
 * type to its data record and binds the data strictly; any violation is an
 * {@link InvalidPayloadException} whose message starts with the event type and id when they are
 * known, so a rejected record can be found in the log by id.
 */
public final class EventCodec {

    /** Kafka header and HTTP content type of a structured-mode CloudEvent. */
    public static final String CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8";

    private EventCodec() {}

    public static byte[] encode(CloudEvent<?> event) {
        ObjectNode node = Json.mapper().createObjectNode();
        node.put("specversion", CloudEvent.SPEC_VERSION);
        node.put("id", event.id());
        node.put("source", event.source());
        node.put("type", event.type());
        if (event.subject() != null) {
            node.put("subject", event.subject());
        }
        node.put("time", event.time().toString());
        node.put("datacontenttype", CloudEvent.DATA_CONTENT_TYPE);
        node.set("data", Json.tree(event.data()));
        return Json.write(node);
    }

    public static CloudEvent<?> decode(byte[] bytes) {
        return decode(Json.parse(bytes, "CloudEvent"));
    }

    /** Decodes and checks that the event carries the expected payload type. */
    public static <T extends EventData> CloudEvent<T> decode(byte[] bytes, Class<T> dataClass) {
        CloudEvent<?> event = decode(bytes);
        if (!dataClass.isInstance(event.data())) {
            throw new InvalidPayloadException(
                    "CloudEvent " + event.id() + ": expected data " + dataClass.getSimpleName() + " but type is '"
                            + event.type() + "'",
                    "type");
        }
        @SuppressWarnings("unchecked")
        CloudEvent<T> typed = (CloudEvent<T>) event;
        return typed;
    }

    /**
     * Decodes a binary-mode CloudEvent: the context attributes as the transport carried them (on
     * Kafka the {@code ce_*} headers, without the prefix) and the data as the record value.
     * The same checks apply as to a structured event.
     */
    public static CloudEvent<?> decodeBinary(Map<String, String> attributes, byte[] data) {
        ObjectNode node = Json.mapper().createObjectNode();
        attributes.forEach(node::put);
        String context =
                "CloudEvent " + attributes.getOrDefault("id", "") + " (" + attributes.getOrDefault("type", "") + ")";
        if (data != null && data.length > 0) {
            try {
                node.set("data", Json.parse(data, "data"));
            } catch (InvalidPayloadException e) {
                throw new InvalidPayloadException(context + ": " + e.getMessage(), "data", e);
            }
        }
        return decode(node);
    }

    public static CloudEvent<?> decode(JsonNode node) {
        if (!node.isObject()) {
            throw new InvalidPayloadException("CloudEvent: document must be a JSON object", null);
        }
        String specVersion = attribute(node, "specversion", "CloudEvent");
        if (!CloudEvent.SPEC_VERSION.equals(specVersion)) {
            throw new InvalidPayloadException(
                    "CloudEvent: unsupported specversion '" + specVersion + "' (this platform speaks "
                            + CloudEvent.SPEC_VERSION + ")",
                    "specversion");
        }
        String id = attribute(node, "id", "CloudEvent");
        String context = "CloudEvent " + id;
        String type = attribute(node, "type", context);
        context = "CloudEvent " + id + " (" + type + ")";
        String source = attribute(node, "source", context);
        Instant time = time(node, context);
        JsonNode contentType = node.get("datacontenttype");
        if (contentType != null
                && !contentType.isNull()
                && !contentType.asText().startsWith(CloudEvent.DATA_CONTENT_TYPE)) {
            throw new InvalidPayloadException(
                    context + ": datacontenttype must be " + CloudEvent.DATA_CONTENT_TYPE + ", was '"
                            + contentType.asText() + "'",
                    "datacontenttype");
        }
        EventType eventType;
        try {
            eventType = EventType.ofType(type);
        } catch (InvalidPayloadException e) {
            throw new InvalidPayloadException(context + ": " + e.getMessage(), "type", e);
        }
        JsonNode data = node.get("data");
        if (data == null || data.isNull()) {
            throw new InvalidPayloadException(context + ": attribute 'data' is missing", "data");
        }
        EventData payload;
        try {
            payload = Json.read(data, eventType.dataClass());
        } catch (InvalidPayloadException e) {
            throw new InvalidPayloadException(
                    context + ": data " + e.getMessage(), e.field() == null ? "data" : "data." + e.field(), e);
        }
        JsonNode subject = node.get("subject");
        return new CloudEvent<>(
                id, source, type, subject == null || subject.isNull() ? null : subject.asText(), time, payload);
    }

    private static String attribute(JsonNode node, String name, String context) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            throw new InvalidPayloadException(context + ": attribute '" + name + "' is missing", name);
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw new InvalidPayloadException(context + ": attribute '" + name + "' must be a non-empty string", name);
        }
        return value.asText();
    }

    private static Instant time(JsonNode node, String context) {
        String text = attribute(node, "time", context);
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new InvalidPayloadException(
                    context + ": attribute 'time' must be an RFC 3339 timestamp, was '" + text + "'", "time", e);
        }
    }
}
