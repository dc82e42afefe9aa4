package dev.ddpm.gateway.service;

/**
 * A request the gateway refuses or cannot serve, with the HTTP status it maps to (the gRPC service
 * maps the same statuses to gRPC codes) and the field at fault, if one is.
 */
public final class GatewayException extends RuntimeException {

    private final int status;
    private final String title;
    private final String field;

    public GatewayException(int status, String title, String detail, String field) {
        super(detail);
        this.status = status;
        this.title = title;
        this.field = field;
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
