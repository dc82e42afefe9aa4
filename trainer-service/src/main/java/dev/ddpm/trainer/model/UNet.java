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
import dev.ddpm.core.model.UNetConfig;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;

/**
 * The noise-prediction UNet of Ho et al. 2020 (the reference article's network), configurable
 * through {@link UNetConfig}: per level, {@code resBlocksPerLevel} residual blocks on the way down
 * and one more on the way up (each up block concatenates one skip), self-attention at the chosen
 * resolutions, a stride-2 convolution down and nearest 2x + convolution up between levels, and a
 * residual / attention / residual bottleneck. The timestep embedding enters every residual block.
 *
 * <p>Inputs: {@code x} [N, C, H, W] and {@code t} [N] (per-sample timesteps, so one batch may mix
 * them). Output: the prediction [N, C, H, W] (eps or v).
 */
public final class UNet extends AbstractBlock {

    /** One level of the contracting path. {@code attention.get(i)} may be null. */
    public record DownLevel(List<ResidualBlock> blocks, List<SelfAttention> attention, Downsample downsample) {}

    /** One level of the expanding path. {@code attention.get(i)} may be null. */
    public record UpLevel(List<ResidualBlock> blocks, List<SelfAttention> attention, Upsample upsample) {}

    private final UNetConfig config;
    private final TimestepEmbedding timeEmbedding;
    private final Conv2d convIn;
    private final List<DownLevel> down = new ArrayList<>();
    private final ResidualBlock middle1;
    private final SelfAttention middleAttention;
    private final ResidualBlock middle2;
    private final List<UpLevel> up = new ArrayList<>();
    private final GroupNorm normOut;
    private final Conv2d convOut;

    public UNet(UNetConfig config) {
        this.config = config;
        int base = config.baseChannels();
        int tembDim = base * 4;
        int groups = config.groups();
        float dropout = (float) config.dropout();
        List<Integer> multipliers = config.channelMultipliers();

        timeEmbedding = addChildBlock("time", new TimestepEmbedding(base, tembDim));
        convIn = addChildBlock("conv_in", Ops.conv(base, 3, 1));

        // Channels of every feature map pushed as a skip, in push order.
        Deque<Integer> skipChannels = new ArrayDeque<>();
        skipChannels.push(base);
        int channels = base;
        int resolution = config.imageSize();
        for (int level = 0; level < multipliers.size(); level++) {
            int out = base * multipliers.get(level);
            List<ResidualBlock> blocks = new ArrayList<>();
            List<SelfAttention> attention = new ArrayList<>();
            for (int i = 0; i < config.resBlocksPerLevel(); i++) {
                blocks.add(addChildBlock(
                        "down" + level + "_res" + i, new ResidualBlock(channels, out, tembDim, groups, dropout)));
                attention.add(
                        config.attentionResolutions().contains(resolution)
                                ? addChildBlock("down" + level + "_attn" + i, new SelfAttention(out, groups))
                                : null);
                channels = out;
                skipChannels.push(channels);
            }
            Downsample downsample = null;
            if (level < multipliers.size() - 1) {
                downsample = addChildBlock("down" + level + "_down", new Downsample(channels));
                skipChannels.push(channels);
                resolution /= 2;
            }
            down.add(new DownLevel(List.copyOf(blocks), nullableList(attention), downsample));
        }

        middle1 = addChildBlock("mid_res0", new ResidualBlock(channels, channels, tembDim, groups, dropout));
        middleAttention = addChildBlock("mid_attn", new SelfAttention(channels, groups));
        middle2 = addChildBlock("mid_res1", new ResidualBlock(channels, channels, tembDim, groups, dropout));

        for (int level = multipliers.size() - 1; level >= 0; level--) {
            int out = base * multipliers.get(level);
            List<ResidualBlock> blocks = new ArrayList<>();
            List<SelfAttention> attention = new ArrayList<>();
            for (int i = 0; i <= config.resBlocksPerLevel(); i++) {
                int in = channels + skipChannels.pop();
                blocks.add(
                        addChildBlock("up" + level + "_res" + i, new ResidualBlock(in, out, tembDim, groups, dropout)));
                attention.add(
                        config.attentionResolutions().contains(resolution)
                                ? addChildBlock("up" + level + "_attn" + i, new SelfAttention(out, groups))
                                : null);
                channels = out;
            }
            Upsample upsample = null;
            if (level > 0) {
                upsample = addChildBlock("up" + level + "_up", new Upsample(channels));
                resolution *= 2;
            }
            up.add(new UpLevel(List.copyOf(blocks), nullableList(attention), upsample));
        }
        normOut = addChildBlock("norm_out", new GroupNorm(channels, groups));
        convOut = addChildBlock("conv_out", Ops.conv(config.imageChannels(), 3, 1));
    }

    private static <T> List<T> nullableList(List<T> list) {
        return Collections.unmodifiableList(new ArrayList<>(list));
    }

    public UNetConfig config() {
        return config;
    }

    public TimestepEmbedding timeEmbedding() {
        return timeEmbedding;
    }

    public Conv2d convIn() {
        return convIn;
    }

    public List<DownLevel> down() {
        return List.copyOf(down);
    }

    public ResidualBlock middle1() {
        return middle1;
    }

    public SelfAttention middleAttention() {
        return middleAttention;
    }

    public ResidualBlock middle2() {
        return middle2;
    }

    public List<UpLevel> up() {
        return List.copyOf(up);
    }

    public GroupNorm normOut() {
        return normOut;
    }

    public Conv2d convOut() {
        return convOut;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray temb = timeEmbedding
                .forward(store, new NDList(inputs.get(1)), training)
                .singletonOrThrow();

        Deque<NDArray> skips = new ArrayDeque<>();
        NDArray h = Ops.apply(convIn, store, x, training);
        skips.push(h);
        for (DownLevel level : down) {
            for (int i = 0; i < level.blocks().size(); i++) {
                h = residual(level.blocks().get(i), store, h, temb, training);
                h = attend(level.attention().get(i), store, h, training);
                skips.push(h);
            }
            if (level.downsample() != null) {
                h = Ops.apply(level.downsample(), store, h, training);
                skips.push(h);
            }
        }
        h = residual(middle1, store, h, temb, training);
        h = attend(middleAttention, store, h, training);
        h = residual(middle2, store, h, temb, training);
        for (UpLevel level : up) {
            for (int i = 0; i < level.blocks().size(); i++) {
                h = residual(level.blocks().get(i), store, h.concat(skips.pop(), 1), temb, training);
                h = attend(level.attention().get(i), store, h, training);
            }
            if (level.upsample() != null) {
                h = Ops.apply(level.upsample(), store, h, training);
            }
        }
        h = Ops.silu(Ops.apply(normOut, store, h, training));
        return new NDList(PaddedConvolution.apply(convOut, store, h, training));
    }

    private static NDArray residual(
            ResidualBlock block, ParameterStore store, NDArray h, NDArray temb, boolean training) {
        return block.forward(store, new NDList(h, temb), training).singletonOrThrow();
    }

    private static NDArray attend(SelfAttention attention, ParameterStore store, NDArray h, boolean training) {
        return attention == null ? h : Ops.apply(attention, store, h, training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        // Every child initialises from its own channel counts; only t's shape matters here.
        timeEmbedding.initialize(manager, dataType, new Shape(1));
        convIn.initialize(manager, dataType, Ops.image(config.imageChannels()));
        for (var child : getChildren().values()) {
            if (child != timeEmbedding && child != convIn && child != convOut) {
                child.initialize(manager, dataType, Ops.image(1), new Shape(1, config.baseChannels() * 4));
            }
        }
        convOut.initialize(manager, dataType, Ops.image(config.baseChannels()));
    }

    /** Trainable parameters (the number printed at start). */
    public long parameterCount() {
        return getParameters().values().stream()
                .mapToLong(p -> p.getArray().size())
                .sum();
    }
}
