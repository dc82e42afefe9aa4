package dev.ddpm.core.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventCodec;
import dev.ddpm.core.json.InvalidPayloadException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The CloudEvents Kafka protocol binding as the platform reads it, both content modes: binary (the
 * context attributes in {@code ce_*} headers, the data as the record value; what the services'
 * channels write) and structured (the whole event as JSON in the value, marked by a
 * {@code content-type: application/cloudevents+json} header; what earlier releases and the CLI
 * write). Every rejection is an {@link InvalidPayloadException} naming the attribute or field.
 */
public final class CloudEventBinding {

    /** Prefix of the binary mode's attribute headers (binding spec, 3.2.3). */
    public static final String HEADER_PREFIX = "ce_";

    public static final String CONTENT_TYPE_HEADER = "content-type";

    private CloudEventBinding() {}

    /** True when the headers mark the record as a CloudEvent in either mode. */
    public static boolean isCloudEvent(Headers headers) {
        return binary(headers) || structured(headers);
    }

    /** Decodes a record's value and headers into a CloudEvent, whichever mode it was written in. */
    public static CloudEvent<?> decode(Headers headers, byte[] value) {
        if (!binary(headers)) {
            return EventCodec.decode(value);
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        for (Header header : headers) {
            if (header.key().startsWith(HEADER_PREFIX) && header.value() != null) {
                attributes.put(
                        header.key().substring(HEADER_PREFIX.length()),
                        new String(header.value(), StandardCharsets.UTF_8));
            }
        }
        // Binding spec 3.2.1: in binary mode the content-type header is the datacontenttype attribute.
        Header contentType = headers.lastHeader(CONTENT_TYPE_HEADER);
        if (contentType != null && contentType.value() != null && !attributes.containsKey("datacontenttype")) {
            attributes.put("datacontenttype", new String(contentType.value(), StandardCharsets.UTF_8));
        }
        return EventCodec.decodeBinary(attributes, value);
    }

    private static boolean binary(Headers headers) {
        return headers != null && headers.lastHeader(HEADER_PREFIX + "specversion") != null;
    }

    private static boolean structured(Headers headers) {
        Header contentType = headers == null ? null : headers.lastHeader(CONTENT_TYPE_HEADER);
        return contentType != null
                && contentType.value() != null
                && new String(contentType.value(), StandardCharsets.UTF_8).startsWith("application/cloudevents");
    }
}
