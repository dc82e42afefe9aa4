package dev.ddpm.core.signing;

/** A manifest whose signature is missing, malformed, by an untrusted key, or not its own. */
public final class ManifestSignatureException extends RuntimeException {

    public ManifestSignatureException(String message) {
        super(message);
    }
}
