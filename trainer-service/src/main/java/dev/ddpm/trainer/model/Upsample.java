package dev.ddpm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** Doubles height and width: nearest-neighbour 2x (repeat on both axes), then a 3x3 convolution. */
public final class Upsample extends AbstractBlock {

    private final int channels;
    private final Conv2d conv;

    public Upsample(int channels) {
        this.channels = channels;
        this.conv = addChildBlock("conv", Ops.conv(channels, 3, 1));
    }

    public Conv2d conv() {
        return conv;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray doubled = x.repeat(2, 2).repeat(3, 2);
        return new NDList(Ops.apply(conv, store, doubled, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        return new Shape[] {new Shape(x.get(0), channels, x.get(2) * 2, x.get(3) * 2)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        conv.initialize(manager, dataType, Ops.image(channels));
    }
}
