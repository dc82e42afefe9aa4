package dev.ddpm.trainer.export;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.TensorSpec;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.onnx.OnnxGraph;
import dev.ddpm.core.onnx.proto.OnnxProto.TensorProto.DataType;
import dev.ddpm.trainer.model.Downsample;
import dev.ddpm.trainer.model.GroupNorm;
import dev.ddpm.trainer.model.ResidualBlock;
import dev.ddpm.trainer.model.SelfAttention;
import dev.ddpm.trainer.model.TimestepEmbedding;
import dev.ddpm.trainer.model.UNet;
import dev.ddpm.trainer.model.Upsample;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes a {@link UNet} as an ONNX model, node by node in the order of its forward pass, with the
 * weights currently in the model as initializers (call it inside {@code withEmaWeights} for the EMA
 * copy). Inference behaviour: dropout is left out.
 *
 * <p>Opset 17, GroupNorm as Reshape [N, G, -1] + InstanceNormalization + Reshape + per-channel affine.
 * Why not GroupNormalization: it only exists from opset 18, whose definition (scale and bias per
 * group) was wrong and replaced in opset 21; Debian's python3-onnx 1.12, the independent checker
 * the build uses, knows opsets up to 17; and ONNX Runtime fuses this pattern anyway.
 *
 * <p>Interface: {@code x} float32 [N, C, H, W], {@code t} int64 [N] (per-sample timesteps),
 * output {@code prediction} float32 [N, C, H, W] (eps or v, as the manifest says); N is dynamic.
 * A block type the writer does not know, or a parameter it did not write, fails the export with
 * the block's path: never a silently different graph.
 */
public final class UNetOnnxExporter {

    public static final int OPSET = 17;
    /** IR version 8 goes with opset 17 (onnx 1.12). */
    public static final int IR_VERSION = 8;

    public static final String INPUT_X = "x";
    public static final String INPUT_T = "t";
    public static final String OUTPUT = "prediction";

    private static final Set<Class<? extends Block>> KNOWN = Set.of(
            UNet.class,
            TimestepEmbedding.class,
            ResidualBlock.class,
            SelfAttention.class,
            Downsample.class,
            Upsample.class,
            GroupNorm.class,
            Conv2d.class,
            Linear.class);

    private final UNet unet;
    private final UNetConfig config;
    private final OnnxGraph graph = new OnnxGraph("ddpm_unet");
    private final Set<Parameter> written = Collections.newSetFromMap(new IdentityHashMap<>());

    private UNetOnnxExporter(UNet unet) {
        this.unet = unet;
        this.config = unet.config();
    }

    /** The serialized ModelProto of {@code unet} with its current weights. */
    public static byte[] export(UNet unet, DiffusionConfig diffusion, Map<String, String> extraMetadata) {
        verifyKnown("unet", unet);
        UNetOnnxExporter exporter = new UNetOnnxExporter(unet);
        exporter.writeGraph();
        exporter.verifyAllParametersWritten();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("ddpm.diffusion", Json.writeString(diffusion));
        metadata.put("ddpm.architecture", Json.writeString(unet.config()));
        metadata.put("ddpm.prediction_type", diffusion.predictionType().name().toLowerCase(Locale.ROOT));
        metadata.put("ddpm.timesteps", Integer.toString(diffusion.timesteps()));
        metadata.putAll(extraMetadata);
        String version = UNetOnnxExporter.class.getPackage().getImplementationVersion();
        return exporter.graph.toModel(
                IR_VERSION,
                OPSET,
                "ddpm-trainer " + (version == null ? "dev" : version),
                "DDPM noise-prediction UNet (Ho et al. 2020)",
                metadata);
    }

    /** The graph's interface as the manifest records it. */
    public static List<TensorSpec> inputs(UNetConfig config) {
        String c = Integer.toString(config.imageChannels());
        String s = Integer.toString(config.imageSize());
        return List.of(
                new TensorSpec(INPUT_X, "float32", List.of("N", c, s, s)),
                new TensorSpec(INPUT_T, "int64", List.of("N")));
    }

    public static List<TensorSpec> outputs(UNetConfig config) {
        String c = Integer.toString(config.imageChannels());
        String s = Integer.toString(config.imageSize());
        return List.of(new TensorSpec(OUTPUT, "float32", List.of("N", c, s, s)));
    }

    /** Fails, naming the block, when the tree holds a block type this writer cannot translate. */
    static void verifyKnown(String path, Block block) {
        if (!KNOWN.contains(block.getClass())) {
            throw new UnsupportedBlockException("cannot export block '" + path + "' of type "
                    + block.getClass().getName() + ": the ONNX writer knows "
                    + KNOWN.stream().map(Class::getSimpleName).sorted().toList());
        }
        block.getChildren().forEach(child -> verifyKnown(path + "/" + child.getKey(), child.getValue()));
    }

    private void verifyAllParametersWritten() {
        List<String> missing = unet.getParameters().stream()
                .filter(p -> !written.contains(p.getValue()))
                .map(p -> p.getKey())
                .toList();
        if (!missing.isEmpty()) {
            throw new UnsupportedBlockException(
                    "the ONNX writer did not write parameters " + missing + ": their blocks are not translated");
        }
    }

    // ---- the forward pass, as UNet.forwardInternal ---------------------------------------------

    private void writeGraph() {
        int channels = config.imageChannels();
        int size = config.imageSize();
        graph.input(INPUT_X, DataType.FLOAT, "N", channels, size, size);
        graph.input(INPUT_T, DataType.INT64, "N");

        String temb = timeEmbedding("time", unet.timeEmbedding(), INPUT_T);
        Deque<String> skips = new ArrayDeque<>();
        String h = conv("conv_in", unet.convIn(), INPUT_X);
        skips.push(h);
        for (int level = 0; level < unet.down().size(); level++) {
            UNet.DownLevel down = unet.down().get(level);
            for (int i = 0; i < down.blocks().size(); i++) {
                h = residual("down" + level + "_res" + i, down.blocks().get(i), h, temb);
                h = attention("down" + level + "_attn" + i, down.attention().get(i), h);
                skips.push(h);
            }
            if (down.downsample() != null) {
                h = conv("down" + level + "_down", down.downsample().conv(), h);
                skips.push(h);
            }
        }
        h = residual("mid_res0", unet.middle1(), h, temb);
        h = attention("mid_attn", unet.middleAttention(), h);
        h = residual("mid_res1", unet.middle2(), h, temb);
        for (int u = 0; u < unet.up().size(); u++) {
            UNet.UpLevel up = unet.up().get(u);
            int level = unet.up().size() - 1 - u;
            for (int i = 0; i < up.blocks().size(); i++) {
                String name = "up" + level + "_res" + i;
                h = residual(name, up.blocks().get(i), graph.concat(name + "/concat", 1, h, skips.pop()), temb);
                h = attention("up" + level + "_attn" + i, up.attention().get(i), h);
            }
            if (up.upsample() != null) {
                h = upsample("up" + level + "_up", up.upsample(), h);
            }
        }
        h = graph.silu("out/silu", groupNorm("norm_out", unet.normOut(), h));
        graph.identity(conv("conv_out", unet.convOut(), h), OUTPUT);
        graph.output(OUTPUT, DataType.FLOAT, "N", channels, size, size);
    }

    /** Sinusoids of t (TimestepEmbedding.sinusoids), then Linear - SiLU - Linear. */
    private String timeEmbedding(String name, TimestepEmbedding block, String t) {
        int half = block.sinusoidDim() / 2;
        double scale = Math.log(10000.0) / (half - 1);
        float[] frequencies = new float[half];
        for (int i = 0; i < half; i++) {
            // As DJL computes it: exp(float(i) * -scale) in float32.
            frequencies[i] = (float) Math.exp((float) i * (float) -scale);
        }
        String tFloat = graph.cast(name + "/t_float", t, DataType.FLOAT);
        String column = graph.unsqueeze(name + "/t_column", tFloat, graph.longs(name + "/axis1", 1));
        String angles = graph.mul(name + "/angles", column, graph.floats(name + "/frequencies", frequencies, 1, half));
        String sinusoids = graph.concat(
                name + "/sinusoids",
                1,
                graph.unary("Sin", name + "/sin", angles),
                graph.unary("Cos", name + "/cos", angles));
        String h = graph.silu(name + "/silu", linear(name + "/dense0", block.first(), sinusoids));
        return linear(name + "/dense1", block.second(), h);
    }

    private String residual(String name, ResidualBlock block, String x, String temb) {
        String h = conv(
                name + "/conv1",
                block.conv1(),
                graph.silu(name + "/silu1", groupNorm(name + "/norm1", block.norm1(), x)));
        String t = linear(name + "/temb", block.timeProjection(), graph.silu(name + "/temb_silu", temb));
        String tImage = graph.reshape(name + "/temb_image", t, graph.longs(name + "/temb_shape", 0, block.out(), 1, 1));
        h = graph.add(name + "/add_temb", h, tImage);
        h = graph.silu(name + "/silu2", groupNorm(name + "/norm2", block.norm2(), h));
        // Dropout is the identity at inference: nothing to write.
        h = conv(name + "/conv2", block.conv2(), h);
        String shortcut = block.skip() == null ? x : conv(name + "/skip", block.skip(), x);
        return graph.add(name + "/out", shortcut, h);
    }

    /** Single-head attention over pixels, as SelfAttention.forwardInternal; null means none at this place. */
    private String attention(String name, SelfAttention block, String x) {
        if (block == null) {
            return x;
        }
        int c = block.channels();
        String h = groupNorm(name + "/norm", block.norm(), x);
        String flat = graph.longs(name + "/flat_shape", 0, c, -1);
        String q = graph.reshape(name + "/q_flat", conv(name + "/q", block.query(), h), flat);
        String k = graph.reshape(name + "/k_flat", conv(name + "/k", block.key(), h), flat);
        String v = graph.reshape(name + "/v_flat", conv(name + "/v", block.value(), h), flat);
        String scores = graph.matMul(name + "/scores", graph.transpose(name + "/q_t", q, 0, 2, 1), k);
        scores = graph.mul(name + "/scaled", scores, graph.scalar(name + "/scale", (float) (1.0 / Math.sqrt(c))));
        String weights = graph.softmax(name + "/weights", scores, 2);
        String attended = graph.matMul(name + "/attended", v, graph.transpose(name + "/weights_t", weights, 0, 2, 1));
        attended = graph.reshape(name + "/attended_image", attended, graph.shapeOf(name + "/x_shape", x));
        return graph.add(name + "/out", x, conv(name + "/proj", block.projection(), attended));
    }

    /** Nearest 2x (floor of x/2 picks the source pixel: NDArray.repeat on both axes), then the convolution. */
    private String upsample(String name, Upsample block, String x) {
        String scales = graph.floats(name + "/scales", new float[] {1, 1, 2, 2}, 4);
        String doubled = graph.node(
                "Resize",
                name + "/nearest",
                List.of(x, "", scales),
                OnnxGraph.string("mode", "nearest"),
                OnnxGraph.string("coordinate_transformation_mode", "asymmetric"),
                OnnxGraph.string("nearest_mode", "floor"));
        return conv(name + "/conv", block.conv(), doubled);
    }

    /** GroupNorm as Reshape [N, G, -1], InstanceNormalization (unit scale), Reshape back, then gamma and beta. */
    private String groupNorm(String name, GroupNorm block, String x) {
        int groups = block.groups();
        int channels = block.channels();
        String grouped = graph.reshape(name + "/grouped", x, graph.longs(name + "/group_shape", 0, groups, -1));
        float[] ones = new float[groups];
        Arrays.fill(ones, 1f);
        String normalised = graph.instanceNorm(
                name + "/normalised",
                grouped,
                graph.floats(name + "/unit_scale", ones, groups),
                graph.floats(name + "/zero_bias", new float[groups], groups),
                GroupNorm.EPSILON);
        String image = graph.reshape(name + "/image", normalised, graph.shapeOf(name + "/shape", x));
        String gamma = weight(name + "/gamma", block.gamma(), channels, 1, 1);
        String beta = weight(name + "/beta", block.beta(), channels, 1, 1);
        return graph.add(name + "/out", graph.mul(name + "/scaled", image, gamma), beta);
    }

    private String conv(String name, Conv2d conv, String x) {
        if (conv.getGroups() != 1
                || conv.getDilation().get(0) != 1
                || !conv.isIncludeBias()
                || conv.getKernelShape().get(0) != conv.getKernelShape().get(1)
                || conv.getStride().get(0) != conv.getStride().get(1)
                || conv.getPadding().get(0) != conv.getPadding().get(1)) {
            throw new UnsupportedBlockException("cannot export convolution '" + name + "': only square, ungrouped, "
                    + "undilated convolutions with bias are written");
        }
        Parameter weight = conv.getParameters().get("weight");
        Parameter bias = conv.getParameters().get("bias");
        String w = weight(name + "/weight", weight, weight.getArray().getShape().getShape());
        String b = weight(name + "/bias", bias, bias.getArray().getShape().getShape());
        return graph.conv(
                name,
                x,
                w,
                b,
                (int) conv.getKernelShape().get(0),
                (int) conv.getStride().get(0),
                (int) conv.getPadding().get(0));
    }

    private String linear(String name, Linear linear, String x) {
        Parameter weight = linear.getParameters().get("weight");
        Parameter bias = linear.getParameters().get("bias");
        String w = weight(name + "/weight", weight, weight.getArray().getShape().getShape());
        String b = weight(name + "/bias", bias, bias.getArray().getShape().getShape());
        return graph.gemmTransposedWeight(name, x, w, b);
    }

    private String weight(String name, Parameter parameter, long... dims) {
        written.add(parameter);
        return graph.floats(name, parameter.getArray().toFloatArray(), dims);
    }
}
