package dev.ddpm.trainer.export;

/** The model holds something the ONNX writer cannot translate; the message names the block. */
public final class UnsupportedBlockException extends RuntimeException {

    public UnsupportedBlockException(String message) {
        super(message);
    }
}
