package org.kdspark.kd.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import onnx.Onnx;
import org.kdspark.kd.loss.AttentionTransferLoss;
import org.nd4j.shade.protobuf.ByteString;
import org.nd4j.shade.protobuf.InvalidProtocolBufferException;

/**
 * Adds attention-map outputs to an ONNX model, so that ONNX Runtime reduces a feature map next to the network and
 * only {@code H*W} values per image leave the session instead of {@code C*H*W} (49 instead of 3,136 for the default
 * teacher's {@code block2}).
 *
 * <p>For each feature-map output {@code tap} of shape {@code [N, C, H, W]} the model gains the output
 * {@code tap:attention} of shape {@code [N, H, W]}: Zagoruyko and Komodakis' attention map {@code Q = sum_c A_c^2},
 * L2-normalised over the positions with the norm floored at 1e-12, the map that
 * {@link AttentionTransferLoss#normalizedAttentionMap(double[], int)} computes (in double precision; here in float).
 * The nodes are {@code ReduceSumSquare} over the channels, {@code ReduceL2} over the positions, {@code Max} with the
 * floor and {@code Div}, written for the model's opset (axes as attributes before opset 18, as an input from 18 on).
 * The original outputs stay as they are.
 */
public final class OnnxAttentionOutputs {

    /** Appended to a tap's output name to name its attention map. */
    public static final String SUFFIX = ":attention";

    /** The opset from which the reductions take their axes as an input instead of an attribute. */
    private static final long AXES_AS_INPUT_OPSET = 18;
    private static final float NORM_FLOOR = 1e-12f;

    private OnnxAttentionOutputs() {
    }

    /** The name of the attention-map output of {@code tap}. */
    public static String outputName(String tap) {
        return tap + SUFFIX;
    }

    /** The outputs to ask for: each of {@code taps}, or its attention map where it is one of {@code attentionTaps}. */
    public static List<String> outputNames(List<String> taps, Collection<String> attentionTaps) {
        return taps.stream().map(t -> attentionTaps.contains(t) ? outputName(t) : t).toList();
    }

    /**
     * The model {@code onnx} with an attention-map output for each of {@code taps}; {@code onnx} itself when there
     * are none.
     *
     * @throws IllegalArgumentException when a tap is not an output of the model, is declared with a rank other than
     *                                  4, or the model already has an output of the new name
     */
    public static byte[] add(byte[] onnx, List<String> taps) {
        if (taps.isEmpty()) {
            return onnx;
        }
        Onnx.ModelProto model;
        try {
            model = Onnx.ModelProto.parseFrom(onnx);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
        }
        long opset = model.getOpsetImportList().stream()
                .filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                .mapToLong(Onnx.OperatorSetIdProto::getVersion).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the ONNX model imports no default-domain opset"));
        Onnx.GraphProto.Builder graph = model.getGraph().toBuilder();
        Set<String> outputs = new HashSet<>();
        graph.getOutputList().forEach(o -> outputs.add(o.getName()));
        for (String tap : taps) {
            Onnx.ValueInfoProto output = graph.getOutputList().stream().filter(o -> o.getName().equals(tap)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("the ONNX model has no output '" + tap + "' to compute an attention map from; "
                            + "its outputs are " + outputs));
            if (output.getType().getTensorType().hasShape() && output.getType().getTensorType().getShape().getDimCount() != 4) {
                throw new IllegalArgumentException("an attention map needs a feature map [N, C, H, W]; the ONNX output '" + tap + "' has rank "
                        + output.getType().getTensorType().getShape().getDimCount() + ": store it with another encoding");
            }
            String name = outputName(tap);
            if (outputs.contains(name)) {
                throw new IllegalArgumentException("the ONNX model already has an output named '" + name + "'");
            }
            String squares = name + "/sum_squares";
            String norm = name + "/norm";
            String floor = name + "/floor";
            String floored = name + "/floored_norm";
            graph.addNode(reduction("ReduceSumSquare", tap, squares, opset, graph, name + "/channel_axis", 1));
            graph.addNode(reduction("ReduceL2", squares, norm, opset, graph, name + "/position_axes", 1, 2));
            graph.addInitializer(floatScalar(floor, NORM_FLOOR));
            graph.addNode(node("Max", List.of(norm, floor), floored));
            graph.addNode(node("Div", List.of(squares, floored), name));
            graph.addOutput(floatOutput(name));
            outputs.add(name);
        }
        return model.toBuilder().setGraph(graph).build().toByteArray();
    }

    /** A reduction over {@code axes}: keeps them for ReduceL2 (broadcast in Div), drops the channel axis. */
    private static Onnx.NodeProto reduction(String op, String input, String output, long opset, Onnx.GraphProto.Builder graph, String axesName,
            long... axes) {
        boolean keep = op.equals("ReduceL2");
        Onnx.NodeProto.Builder n = node(op, List.of(input), output).toBuilder()
                .addAttribute(OnnxGraphWriter.integer("keepdims", keep ? 1 : 0));
        if (opset >= AXES_AS_INPUT_OPSET) {
            graph.addInitializer(int64Vector(axesName, axes));
            n.addInput(axesName);
        } else {
            n.addAttribute(OnnxGraphWriter.ints("axes", axes));
        }
        return n.build();
    }

    private static Onnx.NodeProto node(String op, List<String> inputs, String output) {
        return Onnx.NodeProto.newBuilder().setOpType(op).setName(output + "/" + op).addAllInput(inputs).addOutput(output).build();
    }

    private static Onnx.TensorProto floatScalar(String name, float value) {
        ByteBuffer raw = ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
        return Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.FLOAT.getNumber())
                .setRawData(ByteString.copyFrom(raw.array())).build();
    }

    private static Onnx.TensorProto int64Vector(String name, long... values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        return Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.INT64.getNumber()).addDims(values.length)
                .setRawData(ByteString.copyFrom(raw.array())).build();
    }

    /** A float output of rank 3 whose sizes ONNX Runtime infers. */
    private static Onnx.ValueInfoProto floatOutput(String name) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        for (int i = 0; i < 3; i++) {
            shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder());
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder().setTensorType(
                Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT.getNumber()).setShape(shape))).build();
    }
}
