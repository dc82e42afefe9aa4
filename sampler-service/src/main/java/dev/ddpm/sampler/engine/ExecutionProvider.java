package dev.ddpm.sampler.engine;

import java.util.Locale;

/** Where ONNX Runtime runs the network. */
public enum ExecutionProvider {
    CPU,
    CUDA;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
