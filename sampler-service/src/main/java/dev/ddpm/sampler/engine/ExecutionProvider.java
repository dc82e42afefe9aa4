package dev.ddpm.sampler.engine;

/** Where ONNX Runtime runs the network. */
public enum ExecutionProvider {
    CPU,
    CUDA;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
