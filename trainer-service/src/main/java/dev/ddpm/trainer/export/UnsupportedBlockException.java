package dev.ddpm.trainer.export;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;

/** The model holds something the ONNX writer cannot translate; the message names the block. */
public final class UnsupportedBlockException extends RuntimeException implements ProblemSource {

    public UnsupportedBlockException(String message) {
        super(message);
    }

    @Override
    public Problem problem() {
        return Problem.of(422, "export refused", getMessage());
    }
}
