package dev.ddpm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * {@code x * factor} that is safe inside a gradient tape. Never use DJL's {@code NDArray.mul(Number)}
 * (or {@code div(Number)}) on a value the loss depends on: the PyTorch engine wraps the number in a
 * tensor that borrows a Java direct buffer ({@code torch::from_blob}) and closes that tensor right
 * after the product. Autograd keeps the tensor for the backward pass (d(x c)/dx = c), and once the
 * garbage collector has freed the buffer, the backward pass reads freed memory: 0 or garbage, at
 * random. In the UNet that zeroed the attention's query and key gradients whenever a collection fell
 * between a step's forward and backward pass (docs/evaluation.md, "What this machine does to training").
 * Here the factor is a tensor libtorch allocates itself ({@code torch::full}), which autograd may
 * keep as long as it needs.
 */
public final class Scale {

    private Scale() {}

    /** {@code x * factor}, with the factor in memory libtorch owns, on x's device and of x's type. */
    public static NDArray by(NDArray x, double factor) {
        try (NDArray scalar = x.getManager().full(new Shape(), (float) factor, x.getDataType(), x.getDevice())) {
            return x.mul(scalar);
        }
    }
}
