package org.kdspark.kd.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import onnx.Onnx;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.protobuf.ByteString;

/**
 * Appends nodes, initializers, inputs and outputs to an ONNX {@code GraphProto}, keeping every value name unique.
 *
 * <p>Value names are the ONNX graph's wiring: a DL4J vertex's output is named after the vertex, so that feature
 * taps and the final output keep DL4J's names; intermediate values are {@code vertex/suffix}.
 */
final class OnnxGraphWriter {

    /** Symbolic name of the batch dimension in inputs and outputs. */
    static final String BATCH_DIM = "N";

    private final Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder();
    private final Set<String> values = new HashSet<>();
    private final Set<String> nodeNames = new HashSet<>();

    OnnxGraphWriter(String name) {
        graph.setName(name);
    }

    Onnx.GraphProto build() {
        return graph.build();
    }

    /** Declares a float graph input whose first dimension is the dynamic batch. */
    void floatInput(String name, long... dimsAfterBatch) {
        claim(name);
        graph.addInput(valueInfo(name, dimsAfterBatch));
    }

    /** Declares an existing value as a float graph output whose first dimension is the dynamic batch. */
    void floatOutput(String name, long... dimsAfterBatch) {
        if (!values.contains(name)) {
            throw new IllegalStateException("no value named '" + name + "' to expose as a graph output");
        }
        graph.addOutput(valueInfo(name, dimsAfterBatch));
    }

    /** Adds a float32 initializer holding {@code array} (c-order) reshaped to {@code dims}. */
    String floatConstant(String name, INDArray array, long... dims) {
        INDArray flat = Nd4j.toFlattened('c', array.castTo(DataType.FLOAT));
        long count = 1;
        for (long d : dims) {
            count *= d;
        }
        if (flat.length() != count) {
            throw new IllegalArgumentException("initializer " + name + ": " + flat.length()
                    + " values do not fill shape " + Arrays.toString(dims));
        }
        return floatConstant(name, flat.toFloatVector(), dims);
    }

    String floatConstant(String name, float[] data, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(data);
        return constant(name, Onnx.TensorProto.DataType.FLOAT, raw, dims);
    }

    String int64Constant(String name, long[] data, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(data.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(data);
        return constant(name, Onnx.TensorProto.DataType.INT64, raw, dims);
    }

    private String constant(String name, Onnx.TensorProto.DataType type, ByteBuffer raw, long... dims) {
        claim(name);
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(raw.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    /** Adds a node computing {@code output} from {@code inputs}; returns {@code output}. */
    String node(String opType, List<String> inputs, String output, Onnx.AttributeProto... attributes) {
        for (String in : inputs) {
            if (!in.isEmpty() && !values.contains(in)) {
                throw new IllegalStateException(opType + " node for '" + output + "' reads unknown value '" + in + "'");
            }
        }
        claim(output);
        String nodeName = output + "/" + opType;
        if (!nodeNames.add(nodeName)) {
            throw new IllegalStateException("duplicate ONNX node name " + nodeName);
        }
        Onnx.NodeProto.Builder n = Onnx.NodeProto.newBuilder().setOpType(opType).setName(nodeName).addOutput(output);
        inputs.forEach(n::addInput);
        for (Onnx.AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return output;
    }

    boolean hasValue(String name) {
        return values.contains(name);
    }

    private void claim(String name) {
        if (!values.add(name)) {
            throw new IllegalStateException("ONNX value name '" + name + "' is used twice; rename the DL4J vertex");
        }
    }

    private static Onnx.ValueInfoProto valueInfo(String name, long... dimsAfterBatch) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH_DIM));
        for (long d : dimsAfterBatch) {
            // an unknown size (DL4J reports 0 for some) is left open rather than declared wrong
            shape.addDim(d > 0 ? Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d)
                    : Onnx.TensorShapeProto.Dimension.newBuilder());
        }
        Onnx.TypeProto.Tensor.Builder tensor = Onnx.TypeProto.Tensor.newBuilder()
                .setElemType(Onnx.TensorProto.DataType.FLOAT.getNumber()).setShape(shape);
        return Onnx.ValueInfoProto.newBuilder().setName(name)
                .setType(Onnx.TypeProto.newBuilder().setTensorType(tensor)).build();
    }

    static Onnx.AttributeProto ints(String name, long... values) {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name)
                .setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    static Onnx.AttributeProto ints(String name, int... values) {
        long[] l = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            l[i] = values[i];
        }
        return ints(name, l);
    }

    static Onnx.AttributeProto integer(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT)
                .setI(value).build();
    }

    static Onnx.AttributeProto text(String name, String value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    static Onnx.AttributeProto real(String name, double value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT)
                .setF((float) value).build();
    }
}
