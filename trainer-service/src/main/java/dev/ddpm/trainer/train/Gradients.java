package dev.ddpm.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Gradient hygiene of one update over a network's parameters: global-norm clipping, naming the
 * layers whose gradients went non-finite, and zeroing (also past NaN) in place.
 */
final class Gradients {

    private final Map<String, Parameter> parameters;

    Gradients(Map<String, Parameter> parameters) {
        this.parameters = parameters;
    }

    /**
     * Scales all gradients together so that their global L2 norm is at most {@code maxNorm};
     * returns the norm before clipping (one device-to-host transfer for all parameters).
     */
    double clipGlobalNorm(float maxNorm) {
        NDList squares = new NDList(parameters.size());
        for (Parameter p : parameters.values()) {
            squares.add(p.getArray().getGradient().square().sum());
        }
        double norm = Math.sqrt(NDArrays.stack(squares).sum().getFloat());
        if (maxNorm > 0 && Double.isFinite(norm) && norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            for (Parameter p : parameters.values()) {
                p.getArray().getGradient().muli(scale);
            }
        }
        return norm;
    }

    /**
     * "; not finite in n of m gradients: first, ..." (the first six, in the network's order: where a
     * divergence starts), or "" when every gradient is finite.
     */
    String nonFinite() {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, Parameter> p : parameters.entrySet()) {
            NDArray grad = p.getValue().getArray().getGradient();
            if (grad.isNaN().logicalOr(grad.isInfinite()).any().getBoolean()) {
                names.add(p.getKey());
            }
        }
        return names.isEmpty()
                ? ""
                : "; not finite in " + names.size() + " of " + parameters.size() + " gradients: "
                        + String.join(", ", names.subList(0, Math.min(6, names.size())))
                        + (names.size() > 6 ? ", ..." : "");
    }

    void zero() {
        for (Parameter p : parameters.values()) {
            NDArray grad = p.getArray().getGradient();
            grad.subi(grad);
        }
    }

    /**
     * Zeroes gradients that may hold NaN or infinity (where g - g alone would stay NaN), in place:
     * the non-finite entries are masked to 0 first. Never {@code copyTo}/{@code set(Buffer)} here:
     * DJL's PyTorch {@code set} makes the tensor's storage the Java buffer, owned by the wrapper it
     * was called on, and {@code getGradient()} returns a fresh wrapper each time, so the parameter's
     * gradient would live in memory the garbage collector frees later: on a 2-core machine that
     * surfaced, minutes after the first dropped step, as NaN gradients in every layer or glibc's
     * "corrupted double-linked list".
     */
    void reset() {
        try (NDScope scope = new NDScope()) {
            for (Parameter p : parameters.values()) {
                NDArray grad = p.getArray().getGradient();
                grad.set(grad.isNaN().logicalOr(grad.isInfinite()), 0f);
                grad.subi(grad);
            }
        }
    }
}
