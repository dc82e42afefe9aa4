package dev.ddpm.core.json;

/**
 * A JSON document (event, manifest, pointer) that does not match its contract. The message names
 * the document type and the offending field path, e.g. {@code TrainingProgress: field 'step' is
 * missing}, so a log line alone tells an operator what to fix.
 */
public class InvalidPayloadException extends RuntimeException {

    private final String field;

    public InvalidPayloadException(String message, String field) {
        super(message);
        this.field = field;
    }

    public InvalidPayloadException(String message, String field, Throwable cause) {
        super(message, cause);
        this.field = field;
    }

    /** Dotted path of the offending field, or {@code null} when the document as a whole is bad. */
    public String field() {
        return field;
    }
}
