package dev.ddpm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;

/**
 * A convolution computed with its output channels zero-padded to a multiple of 16, then cut back.
 * Why: libtorch 2.5.1's oneDNN AVX-512 and AVX2 kernels compute a wrong input gradient whenever the
 * output channels are not a multiple of the vector width (16 floats, 8 for AVX2) on some CPUs (AMD
 * Zen 5 VMs; docs/evaluation.md, "What this machine does to training"), and the UNet's output
 * convolution has 1 or 3. Padded to 16 it runs the kernels that are right there, at full speed, instead of capping the
 * whole process
 * at AVX (0.8x). The zero filters add nothing to the output and get no gradient that is used; the
 * parameters keep their real shape, so checkpoints and the ONNX export do not change. The extra cost
 * is one layer's worth (the output convolution at 16 filters instead of 1).
 */
public final class PaddedConvolution {

    /** Output channels are padded to a multiple of this (AVX-512's floats per vector, a multiple of AVX2's 8). */
    public static final int CHANNEL_MULTIPLE = 16;

    private PaddedConvolution() {}

    /** {@code conv}'s forward pass, with its output channels padded when they are not a multiple of 16. */
    static NDArray apply(Conv2d conv, ParameterStore store, NDArray x, boolean training) {
        if (conv.getFilters() % CHANNEL_MULTIPLE == 0) {
            return Ops.apply(conv, store, x, training);
        }
        Parameter weight = conv.getParameters().get("weight");
        Parameter bias = conv.getParameters().get("bias");
        return forward(
                x,
                store.getValue(weight, x.getDevice(), training),
                bias == null ? null : store.getValue(bias, x.getDevice(), training),
                conv.getStride(),
                conv.getPadding());
    }

    /** conv2d(x, weight, bias) computed with the filters zero-padded to a multiple of 16. */
    public static NDArray forward(NDArray x, NDArray weight, NDArray bias, Shape stride, Shape padding) {
        Shape w = weight.getShape();
        long filters = w.get(0);
        long padded = (filters + CHANNEL_MULTIPLE - 1) / CHANNEL_MULTIPLE * CHANNEL_MULTIPLE;
        NDArray paddedWeight = weight;
        NDArray paddedBias = bias;
        if (padded != filters) {
            // Made on and attached to the input's manager, as the layer's other intermediates are, so
            // they are freed with them and not kept by the parameters' long-lived manager.
            NDManager manager = x.getManager();
            paddedWeight = weight.concat(
                    manager.zeros(
                            new Shape(padded - filters, w.get(1), w.get(2), w.get(3)),
                            weight.getDataType(),
                            weight.getDevice()),
                    0);
            paddedWeight.attach(manager);
            if (bias != null) {
                paddedBias = bias.concat(
                        manager.zeros(new Shape(padded - filters), bias.getDataType(), bias.getDevice()), 0);
                paddedBias.attach(manager);
            }
        }
        NDList out = Conv2d.conv2d(x, paddedWeight, paddedBias, stride, padding, new Shape(1, 1), 1);
        NDArray y = out.singletonOrThrow();
        return padded == filters ? y : y.get(":, 0:" + filters);
    }
}
