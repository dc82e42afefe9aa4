package dev.ddpm.core.onnx;

import com.google.protobuf.ByteString;
import dev.ddpm.core.onnx.proto.OnnxProto.AttributeProto;
import dev.ddpm.core.onnx.proto.OnnxProto.GraphProto;
import dev.ddpm.core.onnx.proto.OnnxProto.ModelProto;
import dev.ddpm.core.onnx.proto.OnnxProto.NodeProto;
import dev.ddpm.core.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.ddpm.core.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.ddpm.core.onnx.proto.OnnxProto.TensorProto;
import dev.ddpm.core.onnx.proto.OnnxProto.TensorShapeProto;
import dev.ddpm.core.onnx.proto.OnnxProto.TypeProto;
import dev.ddpm.core.onnx.proto.OnnxProto.ValueInfoProto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small builder for an ONNX graph (the trainer's UNet export, analytic test models): typed helpers for the operators
 * the UNet needs (opset 17
 * semantics), unique value names, and weights as little-endian raw_data initializers. Every helper
 * returns the name of the value it produced, so a network is written like its forward pass.
 */
public final class OnnxGraph {

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Set<String> names = new HashSet<>();
    private int counter;

    public OnnxGraph(String name) {
        graph.setName(name);
    }

    public GraphProto build() {
        return graph.build();
    }

    /** The serialized ModelProto of this graph: the default-domain opset, producer and metadata. */
    public byte[] toModel(int irVersion, int opset, String producer, String docString, Map<String, String> metadata) {
        ModelProto.Builder model = ModelProto.newBuilder()
                .setIrVersion(irVersion)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setProducerName(producer)
                .setDocString(docString)
                .setGraph(build());
        metadata.forEach((k, v) -> model.addMetadataProps(
                StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return model.build().toByteArray();
    }

    /** A graph input of element type {@code elemType}; a String in {@code dims} is a symbolic dimension. */
    public void input(String name, TensorProto.DataType elemType, Object... dims) {
        graph.addInput(valueInfo(name, elemType, dims));
        claim(name);
    }

    public void output(String name, TensorProto.DataType elemType, Object... dims) {
        graph.addOutput(valueInfo(name, elemType, dims));
    }

    /** A float tensor (weights or constants) as an initializer; returns its name. */
    public String floats(String name, float[] values, long... dims) {
        long count = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        if (count != values.length) {
            throw new IllegalArgumentException(
                    "initializer " + name + ": " + values.length + " values for dims " + Arrays.toString(dims));
        }
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        String unique = unique(name);
        graph.addInitializer(TensorProto.newBuilder()
                .setName(unique)
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(box(dims))
                .setRawData(ByteString.copyFrom(bytes.array())));
        return unique;
    }

    public String scalar(String name, float value) {
        return floats(name, new float[] {value});
    }

    /** An int64 vector initializer (shapes, axes). */
    public String longs(String name, long... values) {
        String unique = unique(name);
        graph.addInitializer(TensorProto.newBuilder()
                .setName(unique)
                .setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(values.length)
                .addAllInt64Data(box(values)));
        return unique;
    }

    /** Appends a node; returns the name of its (single) output. */
    public String node(String opType, String outputHint, List<String> inputs, AttributeProto... attributes) {
        String output = unique(outputHint);
        graph.addNode(NodeProto.newBuilder()
                .setOpType(opType)
                .setName(output + "/" + opType)
                .addAllInput(inputs)
                .addOutput(output)
                .addAllAttribute(List.of(attributes)));
        return output;
    }

    /** Renames a value to a fixed name (the graph output) with an Identity node. */
    public void identity(String input, String output) {
        claim(output);
        graph.addNode(NodeProto.newBuilder()
                .setOpType("Identity")
                .setName(output + "/Identity")
                .addInput(input)
                .addOutput(output));
    }

    // ---- operators -----------------------------------------------------------------------------

    public String add(String hint, String a, String b) {
        return node("Add", hint, List.of(a, b));
    }

    public String mul(String hint, String a, String b) {
        return node("Mul", hint, List.of(a, b));
    }

    /** x * sigmoid(x): opset 17 has no SiLU operator. */
    public String silu(String hint, String x) {
        return mul(hint, x, node("Sigmoid", hint + "/sigmoid", List.of(x)));
    }

    public String conv(String hint, String x, String weight, String bias, int kernel, int stride, int pad) {
        return node(
                "Conv",
                hint,
                List.of(x, weight, bias),
                ints("kernel_shape", kernel, kernel),
                ints("strides", stride, stride),
                ints("pads", pad, pad, pad, pad),
                ints("dilations", 1, 1),
                integer("group", 1));
    }

    /** y = x W^T + b with W stored as [out, in] (DJL's Linear layout). */
    public String gemmTransposedWeight(String hint, String x, String weight, String bias) {
        return node("Gemm", hint, List.of(x, weight, bias), integer("transB", 1));
    }

    public String reshape(String hint, String x, String shape) {
        return node("Reshape", hint, List.of(x, shape));
    }

    public String shapeOf(String hint, String x) {
        return node("Shape", hint, List.of(x));
    }

    public String transpose(String hint, String x, long... permutation) {
        return node("Transpose", hint, List.of(x), ints("perm", permutation));
    }

    public String matMul(String hint, String a, String b) {
        return node("MatMul", hint, List.of(a, b));
    }

    public String softmax(String hint, String x, int axis) {
        return node("Softmax", hint, List.of(x), integer("axis", axis));
    }

    public String concat(String hint, int axis, String... inputs) {
        return node("Concat", hint, List.of(inputs), integer("axis", axis));
    }

    public String instanceNorm(String hint, String x, String scale, String bias, float epsilon) {
        return node("InstanceNormalization", hint, List.of(x, scale, bias), real("epsilon", epsilon));
    }

    public String cast(String hint, String x, TensorProto.DataType to) {
        return node("Cast", hint, List.of(x), integer("to", to.getNumber()));
    }

    public String unary(String opType, String hint, String x) {
        return node(opType, hint, List.of(x));
    }

    public String unsqueeze(String hint, String x, String axes) {
        return node("Unsqueeze", hint, List.of(x, axes));
    }

    // ---- attributes ----------------------------------------------------------------------------

    public static AttributeProto ints(String name, long... values) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.INTS)
                .addAllInts(box(values))
                .build();
    }

    public static AttributeProto integer(String name, long value) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.INT)
                .setI(value)
                .build();
    }

    public static AttributeProto real(String name, float value) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.FLOAT)
                .setF(value)
                .build();
    }

    public static AttributeProto string(String name, String value) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value))
                .build();
    }

    // ---- names ---------------------------------------------------------------------------------

    private String unique(String hint) {
        String name = hint;
        while (names.contains(name)) {
            name = hint + "_" + (++counter);
        }
        names.add(name);
        return name;
    }

    private void claim(String name) {
        if (!names.add(name)) {
            throw new IllegalStateException("value name " + name + " is used twice");
        }
    }

    private static ValueInfoProto valueInfo(String name, TensorProto.DataType elemType, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object dim : dims) {
            TensorShapeProto.Dimension.Builder d = TensorShapeProto.Dimension.newBuilder();
            if (dim instanceof String symbol) {
                d.setDimParam(symbol);
            } else {
                d.setDimValue(((Number) dim).longValue());
            }
            shape.addDim(d);
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder()
                                .setElemType(elemType.getNumber())
                                .setShape(shape)))
                .build();
    }

    private static List<Long> box(long... values) {
        return Arrays.stream(values).boxed().toList();
    }
}
