package dev.ddpm.core.json;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The one JSON mapping used for every contract document (events, manifests, pointers).
 *
 * <p>Reading is strict where it matters and lenient where it helps evolution: every record component
 * not marked {@link OptionalField} must be present and non-null (Jackson alone would silently put 0
 * into a missing {@code int}); unknown fields are ignored so that a newer producer does not break an
 * older consumer. Every failure becomes an {@link InvalidPayloadException} naming the document type
 * and the field path.
 */
public final class Json {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build();

    private Json() {}

    /** The shared mapper; treat it as read-only. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    /** One line of JSON (server-sent events, log lines). */
    public static String writeCompact(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    /** Indented JSON, for documents people read. */
    public static String writeString(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    public static JsonNode tree(Object value) {
        return MAPPER.valueToTree(value);
    }

    /** Parses bytes as a JSON document; refuses anything that is not well-formed JSON. */
    public static JsonNode parse(byte[] bytes, String what) {
        if (bytes == null || bytes.length == 0) {
            throw new InvalidPayloadException(what + ": empty document", null);
        }
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw new InvalidPayloadException(what + ": empty document", null);
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new InvalidPayloadException(what + ": not valid JSON (" + e.getOriginalMessage() + ")", null, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static <T> T read(byte[] bytes, Class<T> type) {
        return read(parse(bytes, type.getSimpleName()), type);
    }

    /**
     * Binds a JSON tree to a contract record, checking required fields first and translating
     * every mapping error into a message with the field path.
     */
    public static <T> T read(JsonNode node, Class<T> type) {
        String what = type.getSimpleName();
        checkRequired(node, type, "", what);
        try {
            return MAPPER.treeToValue(node, type);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause();
            if (cause instanceof InvalidPayloadException invalid) {
                String field = join(path(e), invalid.field());
                String message = invalid.getMessage();
                if (invalid.field() != null && !field.equals(invalid.field())) {
                    message = message.replace("'" + invalid.field() + "'", "'" + field + "'");
                }
                throw new InvalidPayloadException(what + ": " + message, field, invalid);
            }
            throw new InvalidPayloadException(what + ": " + rootMessage(e), path(e), e);
        } catch (InvalidFormatException e) {
            String expected = e.getTargetType() != null && e.getTargetType().isEnum()
                    ? "must be " + wireNames(e.getTargetType()) + ", was '" + e.getValue() + "'"
                    : firstLine(e.getOriginalMessage());
            throw new InvalidPayloadException(
                    what + ": field '" + path(e) + "' has an invalid value " + e.getValue() + " (" + expected + ")",
                    path(e),
                    e);
        } catch (MismatchedInputException e) {
            throw new InvalidPayloadException(
                    what + ": field '" + path(e) + "' has the wrong type (" + firstLine(e.getOriginalMessage()) + ")",
                    path(e),
                    e);
        } catch (JsonProcessingException e) {
            throw new InvalidPayloadException(what + ": " + firstLine(e.getOriginalMessage()), null, e);
        }
    }

    private static void checkRequired(JsonNode node, Class<?> type, String prefix, String what) {
        if (!type.isRecord()) {
            return;
        }
        if (!node.isObject()) {
            String where = prefix.isEmpty() ? "document" : "field '" + prefix + "'";
            throw new InvalidPayloadException(
                    what + ": " + where + " must be a JSON object, was "
                            + node.getNodeType().name().toLowerCase(),
                    prefix.isEmpty() ? null : prefix);
        }
        for (RecordComponent component : type.getRecordComponents()) {
            String field = join(prefix, component.getName());
            JsonNode child = node.get(component.getName());
            boolean absent = child == null || child.isNull();
            if (absent) {
                if (!component.isAnnotationPresent(OptionalField.class)) {
                    throw new InvalidPayloadException(what + ": field '" + field + "' is missing", field);
                }
                continue;
            }
            checkNested(child, component.getGenericType(), field, what);
        }
    }

    private static void checkNested(JsonNode child, Type type, String field, String what) {
        if (type instanceof Class<?> cls && cls.isRecord()) {
            checkRequired(child, cls, field, what);
        } else if (type instanceof ParameterizedType pt && pt.getRawType() instanceof Class<?> raw) {
            if (List.class.isAssignableFrom(raw) && child.isArray()) {
                Type element = pt.getActualTypeArguments()[0];
                for (int i = 0; i < child.size(); i++) {
                    checkNested(child.get(i), element, field + "[" + i + "]", what);
                }
            } else if (Map.class.isAssignableFrom(raw) && child.isObject()) {
                Type value = pt.getActualTypeArguments()[1];
                child.fields().forEachRemaining(e -> checkNested(e.getValue(), value, field + "." + e.getKey(), what));
            }
        }
    }

    /**
     * The constant of {@code type} that JSON spells {@code wireName}, as a JSON body would bind it.
     *
     * @throws InvalidPayloadException naming {@code field} and the accepted names
     */
    public static <E extends Enum<E>> E enumValue(Class<E> type, String wireName, String field) {
        for (E constant : type.getEnumConstants()) {
            if (wireName(constant).equals(wireName)) {
                return constant;
            }
        }
        throw new InvalidPayloadException(
                "field '" + field + "' has an invalid value " + wireName + " (must be " + wireNames(type) + ", was '"
                        + wireName + "')",
                field);
    }

    /** How JSON spells {@code constant} (its {@code @JsonProperty} name, else its Java name). */
    public static String wireName(Enum<?> constant) {
        try {
            JsonProperty property =
                    constant.getDeclaringClass().getField(constant.name()).getAnnotation(JsonProperty.class);
            return property != null ? property.value() : constant.name();
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Words a value may be, as a message lists them: "none or cosine", "a, b or c". */
    public static String alternatives(List<String> words) {
        int last = words.size() - 1;
        return last <= 0
                ? String.join("", words)
                : String.join(", ", words.subList(0, last)) + " or " + words.get(last);
    }

    /** An enum's names as JSON spells them, as {@link #alternatives} lists them. */
    private static String wireNames(Class<?> enumType) {
        return alternatives(Arrays.stream(enumType.getEnumConstants())
                .map(constant -> wireName((Enum<?>) constant))
                .toList());
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."))
                .replace(".[", "[");
    }

    private static String join(String prefix, String field) {
        if (field == null || field.isEmpty()) {
            return prefix;
        }
        return prefix == null || prefix.isEmpty() ? field : prefix + "." + field;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return firstLine(t.getMessage());
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
