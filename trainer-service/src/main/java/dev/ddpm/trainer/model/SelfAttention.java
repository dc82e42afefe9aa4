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

/**
 * Single-head self-attention over the pixels of a feature map, as in the DDPM UNet at 16x16 and
 * 8x8: GroupNorm, 1x1 convolutions to q, k, v, softmax(q^T k / sqrt(C)) over positions, a 1x1
 * output projection, and a residual connection.
 */
public final class SelfAttention extends AbstractBlock {

    private final int channels;
    private final GroupNorm norm;
    private final Conv2d query;
    private final Conv2d key;
    private final Conv2d value;
    private final Conv2d projection;

    public SelfAttention(int channels, int groups) {
        this.channels = channels;
        this.norm = addChildBlock("norm", new GroupNorm(channels, groups));
        this.query = addChildBlock("q", Ops.conv(channels, 1, 1));
        this.key = addChildBlock("k", Ops.conv(channels, 1, 1));
        this.value = addChildBlock("v", Ops.conv(channels, 1, 1));
        this.projection = addChildBlock("proj", Ops.conv(channels, 1, 1));
    }

    public int channels() {
        return channels;
    }

    public GroupNorm norm() {
        return norm;
    }

    public Conv2d query() {
        return query;
    }

    public Conv2d key() {
        return key;
    }

    public Conv2d value() {
        return value;
    }

    public Conv2d projection() {
        return projection;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape shape = x.getShape();
        long n = shape.get(0);
        long positions = shape.get(2) * shape.get(3);
        NDArray h = Ops.apply(norm, store, x, training);
        NDArray q = Ops.apply(query, store, h, training).reshape(n, channels, positions);
        NDArray k = Ops.apply(key, store, h, training).reshape(n, channels, positions);
        NDArray v = Ops.apply(value, store, h, training).reshape(n, channels, positions);
        // weights[n, i, j] = softmax_j(q_i . k_j / sqrt(C))
        NDArray weights = Scale.by(q.transpose(0, 2, 1).matMul(k), 1.0 / Math.sqrt(channels))
                .softmax(2);
        // out[n, c, i] = sum_j v[n, c, j] weights[n, i, j]
        NDArray attended = v.matMul(weights.transpose(0, 2, 1)).reshape(shape);
        return new NDList(x.add(Ops.apply(projection, store, attended, training)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (var child : getChildren().values()) {
            child.initialize(manager, dataType, Ops.image(channels));
        }
    }
}
