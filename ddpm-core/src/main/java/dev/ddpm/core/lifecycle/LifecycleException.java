package dev.ddpm.core.lifecycle;

/** A lifecycle operation refused: what was named does not exist, or the model's state forbids it. */
public final class LifecycleException extends RuntimeException {

    public enum Kind {
        /** The model or version named does not exist (HTTP 404). */
        NOT_FOUND,
        /** The model's state forbids the operation now, e.g. deleting production (HTTP 409). */
        CONFLICT
    }

    private final Kind kind;

    public LifecycleException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    static LifecycleException notFound(String message) {
        return new LifecycleException(Kind.NOT_FOUND, message);
    }

    static LifecycleException conflict(String message) {
        return new LifecycleException(Kind.CONFLICT, message);
    }
}
