package dev.ddpm.core.json;

import java.util.regex.Pattern;

/**
 * Argument checks for the compact constructors of contract records. They throw
 * {@link InvalidPayloadException} so that a semantically wrong payload (negative step, blank name)
 * is reported exactly like a structurally wrong one.
 */
public final class Require {

    /** Object-key-safe names: models, datasets, runs, jobs. No path separators, no dot-dot. */
    private static final Pattern SAFE_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

    private Require() {}

    public static String nonBlank(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new InvalidPayloadException("field '" + field + "' must not be blank", field);
        }
        return value;
    }

    public static <T> T nonNull(T value, String field) {
        if (value == null) {
            throw new InvalidPayloadException("field '" + field + "' is missing", field);
        }
        return value;
    }

    /**
     * A name that is used inside object keys and topic keys: lower-case letters, digits, '.', '_'
     * and '-', starting with a letter or digit, at most 63 characters, never "..".
     */
    public static String safeName(String value, String field) {
        nonBlank(value, field);
        if (!SAFE_NAME.matcher(value).matches() || value.contains("..")) {
            throw new InvalidPayloadException(
                    "field '" + field + "' must match " + SAFE_NAME.pattern()
                            + " without '..' (it becomes part of object keys), was '" + value + "'",
                    field);
        }
        return value;
    }

    public static long atLeast(long value, long min, String field) {
        if (value < min) {
            throw new InvalidPayloadException("field '" + field + "' must be >= " + min + ", was " + value, field);
        }
        return value;
    }

    public static int atLeast(int value, int min, String field) {
        return (int) atLeast((long) value, min, field);
    }

    /** {@code value} in min..max, or a 400-style error naming the field and the bound it broke. */
    public static long between(long value, long min, long max, String field) {
        if (value < min || value > max) {
            throw new InvalidPayloadException(
                    "field '" + field + "' must be " + (value < min ? ">= " + min : "at most " + max) + ", was "
                            + value,
                    field);
        }
        return value;
    }

    public static int between(int value, int min, int max, String field) {
        return (int) between((long) value, min, max, field);
    }

    public static double inRange(double value, double min, double max, String field) {
        if (!(value >= min && value <= max)) {
            throw new InvalidPayloadException(
                    "field '" + field + "' must be in [" + min + ", " + max + "], was " + value, field);
        }
        return value;
    }

    public static double finite(double value, String field) {
        if (!Double.isFinite(value)) {
            throw new InvalidPayloadException("field '" + field + "' must be a finite number, was " + value, field);
        }
        return value;
    }

    public static String sha256Hex(String value, String field) {
        nonBlank(value, field);
        if (!value.matches("[0-9a-f]{64}")) {
            throw new InvalidPayloadException(
                    "field '" + field + "' must be 64 lower-case hex digits (sha256), was '" + value + "'", field);
        }
        return value;
    }
}
