package dev.ddpm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The timestep t as a vector: the Transformer's sinusoidal position encoding of t (Ho et al.
 * 2020, appendix B; half sines, half cosines, frequencies 10000^(-i / (half - 1))), followed by
 * Linear - SiLU - Linear to {@code dim} features that every residual block adds.
 */
public final class TimestepEmbedding extends AbstractBlock {

    private final int sinusoidDim;
    private final int dim;
    private final Linear first;
    private final Linear second;

    public TimestepEmbedding(int sinusoidDim, int dim) {
        if (sinusoidDim % 2 != 0 || sinusoidDim < 4) {
            throw new IllegalArgumentException("sinusoid dimension must be even and >= 4, was " + sinusoidDim);
        }
        this.sinusoidDim = sinusoidDim;
        this.dim = dim;
        this.first = addChildBlock("dense0", Ops.linear(dim));
        this.second = addChildBlock("dense1", Ops.linear(dim));
    }

    public int sinusoidDim() {
        return sinusoidDim;
    }

    public Linear first() {
        return first;
    }

    public Linear second() {
        return second;
    }

    /** (N) timesteps to (N, sinusoidDim) sinusoids. */
    public static NDArray sinusoids(NDArray t, int dim) {
        int half = dim / 2;
        NDManager manager = t.getManager();
        double scale = Math.log(10000.0) / (half - 1);
        // On t's device, which is not always its manager's (a data-parallel shard moved with toDevice).
        NDArray frequencies = manager.arange(0f, half, 1f).mul(-scale).exp().toDevice(t.getDevice(), false);
        NDArray angles = t.toType(DataType.FLOAT32, false).reshape(-1, 1).mul(frequencies.reshape(1, half));
        return angles.sin().concat(angles.cos(), 1);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray embedding = sinusoids(inputs.singletonOrThrow(), sinusoidDim);
        NDArray h = Ops.silu(Ops.apply(first, store, embedding, training));
        return new NDList(Ops.apply(second, store, h, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), dim)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        first.initialize(manager, dataType, new Shape(1, sinusoidDim));
        second.initialize(manager, dataType, new Shape(1, dim));
    }
}
