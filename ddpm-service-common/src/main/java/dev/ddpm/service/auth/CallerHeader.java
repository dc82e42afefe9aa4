package dev.ddpm.service.auth;

/**
 * Whom an internal call is made for: the gateway sends its API key's id under this name (gRPC
 * metadata and HTTP header alike), so that a sampler can bound per-caller work such as loads of
 * pinned versions. Internal calls carry the operator key as well; the header is a label, not a credential.
 */
public final class CallerHeader {

    public static final String NAME = "ddpm-caller";

    private CallerHeader() {}
}
