package dev.ddpm.gateway.service;

/**
 * A request the gateway refuses or cannot serve, with the HTTP status it maps to (the gRPC service
 * maps the same statuses to gRPC codes) and the field at fault, if one is.
 */
public final class GatewayException extends RuntimeException {

    private final int status;
    private final String title;
    private final String field;
    private final long retryAfterSeconds;

    public GatewayException(int status, String title, String detail, String field) {
        this(status, title, detail, field, 0);
    }

    private GatewayException(int status, String title, String detail, String field, long retryAfterSeconds) {
        super(detail);
        this.status = status;
        this.title = title;
        this.field = field;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 429 with the seconds after which the same request would be taken. */
    public static GatewayException tooMany(String title, String detail, long retryAfterSeconds) {
        return new GatewayException(429, title, detail, null, Math.max(1, retryAfterSeconds));
    }

    /** Seconds to wait before retrying; 0: no hint. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public GatewayException(int status, String title, String detail) {
        this(status, title, detail, null);
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public String field() {
        return field;
    }
}
