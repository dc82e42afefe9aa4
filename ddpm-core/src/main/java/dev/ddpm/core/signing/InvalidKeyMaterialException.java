package dev.ddpm.core.signing;

/** A signing or verifying key that cannot be read or parsed; the message names where it came from. */
public final class InvalidKeyMaterialException extends IllegalArgumentException {

    public InvalidKeyMaterialException(String message) {
        super(message);
    }
}
