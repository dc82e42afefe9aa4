package dev.ddpm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The DDPM residual block (Wide ResNet style): GroupNorm - SiLU - conv3x3, plus the projected
 * timestep embedding broadcast over the image, GroupNorm - SiLU - dropout - conv3x3, and a 1x1
 * projection of the input on the skip path when the channel count changes.
 * Inputs: (x [N, in, H, W], temb [N, tembDim]).
 */
public final class ResidualBlock extends AbstractBlock {

    private final int in;
    private final int out;
    private final int tembDim;
    private final float dropout;
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeProjection;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d skip;

    public ResidualBlock(int in, int out, int tembDim, int groups, float dropout) {
        this.in = in;
        this.out = out;
        this.tembDim = tembDim;
        this.dropout = dropout;
        this.norm1 = addChildBlock("norm1", new GroupNorm(in, groups));
        this.conv1 = addChildBlock("conv1", Ops.conv(out, 3, 1));
        this.timeProjection = addChildBlock("temb", Ops.linear(out));
        this.norm2 = addChildBlock("norm2", new GroupNorm(out, groups));
        this.conv2 = addChildBlock("conv2", Ops.conv(out, 3, 1));
        this.skip = in == out ? null : addChildBlock("skip", Ops.conv(out, 1, 1));
    }

    public int in() {
        return in;
    }

    public int out() {
        return out;
    }

    public float dropout() {
        return dropout;
    }

    public GroupNorm norm1() {
        return norm1;
    }

    public Conv2d conv1() {
        return conv1;
    }

    public Linear timeProjection() {
        return timeProjection;
    }

    public GroupNorm norm2() {
        return norm2;
    }

    public Conv2d conv2() {
        return conv2;
    }
    /** The 1x1 projection on the skip path, or null when in == out. */
    public Conv2d skip() {
        return skip;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray temb = inputs.get(1);
        NDArray h = Ops.apply(conv1, store, Ops.silu(Ops.apply(norm1, store, x, training)), training);
        NDArray t = Ops.apply(timeProjection, store, Ops.silu(temb), training);
        h = h.add(t.reshape(t.getShape().get(0), out, 1, 1));
        h = Ops.silu(Ops.apply(norm2, store, h, training));
        if (dropout > 0) {
            h = Dropout.dropout(h, dropout, training).singletonOrThrow();
        }
        h = Ops.apply(conv2, store, h, training);
        NDArray shortcut = skip == null ? x : Ops.apply(skip, store, x, training);
        return new NDList(shortcut.add(h));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        return new Shape[] {new Shape(x.get(0), out, x.get(2), x.get(3))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        norm1.initialize(manager, dataType, Ops.image(in));
        conv1.initialize(manager, dataType, Ops.image(in));
        timeProjection.initialize(manager, dataType, new Shape(1, tembDim));
        norm2.initialize(manager, dataType, Ops.image(out));
        conv2.initialize(manager, dataType, Ops.image(out));
        if (skip != null) {
            skip.initialize(manager, dataType, Ops.image(in));
        }
    }
}
