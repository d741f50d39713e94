package org.kdspark.kd.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An ONNX model loaded in ONNX Runtime (CPU) with one float input, run on ND4J arrays.
 *
 * <p>Thread-safe: ONNX Runtime sessions accept concurrent {@code run} calls. Close it to free native memory.
 */
public final class OnnxModel implements AutoCloseable {

    private final OrtSession session;
    private final String inputName;
    private final List<String> outputNames;

    private OnnxModel(OrtSession session) throws OrtException {
        this.session = session;
        if (session.getInputNames().size() != 1) {
            session.close();
            throw new IllegalArgumentException("expected an ONNX model with one input, found "
                    + session.getInputNames());
        }
        this.inputName = session.getInputNames().iterator().next();
        this.outputNames = List.copyOf(session.getOutputNames());
    }

    /** Loads {@code file} with {@code intraOpThreads} compute threads (see {@link OnnxRuntimeEnvironment#cpuOptions}). */
    public static OnnxModel open(Path file, int intraOpThreads) {
        try (OrtSession.SessionOptions options = OnnxRuntimeEnvironment.cpuOptions(intraOpThreads)) {
            return new OnnxModel(OnnxRuntimeEnvironment.get().createSession(file.toString(), options));
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot load " + file + ": " + e.getMessage(), e);
        }
    }

    /** Loads a model held in memory. */
    public static OnnxModel open(byte[] model, int intraOpThreads) {
        return open(model, intraOpThreads, false);
    }

    /**
     * Loads a model held in memory, on the CPU or, with {@code cuda}, on CUDA device 0 (which needs the
     * {@code -Pgpu-onnx} build and a usable GPU: {@link OnnxRuntimeEnvironment#cudaOptions} says what is missing).
     */
    public static OnnxModel open(byte[] model, int intraOpThreads, boolean cuda) {
        try (OrtSession.SessionOptions options = cuda ? OnnxRuntimeEnvironment.cudaOptions(0, intraOpThreads)
                : OnnxRuntimeEnvironment.cpuOptions(intraOpThreads)) {
            return new OnnxModel(OnnxRuntimeEnvironment.get().createSession(model, options));
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot load the model: " + e.getMessage(), e);
        }
    }

    /** The input's declared shape; dynamic dimensions (the batch) are -1. */
    public long[] inputShape() {
        try {
            return ((ai.onnxruntime.TensorInfo) session.getInputInfo().get(inputName).getInfo()).getShape();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot read the ONNX model's input", e);
        }
    }

    /** One output tensor, flattened in c order, with its shape (batch first). */
    public record FlatTensor(float[] values, long[] shape) {
    }

    /**
     * The named outputs for a float input of {@code shape} held in {@code input}, in the order asked: the path
     * without ND4J, for batch inference loops.
     */
    public List<FlatTensor> run(float[] input, long[] shape, List<String> names) {
        try (OnnxTensor tensor = OnnxTensor.createTensor(OnnxRuntimeEnvironment.get(), FloatBuffer.wrap(input), shape);
             OrtSession.Result result = session.run(Map.of(inputName, tensor), new LinkedHashSet<>(names))) {
            List<FlatTensor> out = new java.util.ArrayList<>(names.size());
            for (String name : names) {
                OnnxTensor t = (OnnxTensor) result.get(name).orElseThrow(() -> new IllegalArgumentException(
                        "the ONNX model has no output '" + name + "'; outputs: " + outputNames));
                FloatBuffer fb = t.getFloatBuffer();
                float[] values = new float[fb.remaining()];
                fb.get(values);
                out.add(new FlatTensor(values, t.getInfo().getShape()));
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on input " + Arrays.toString(shape) + ": "
                    + e.getMessage(), e);
        }
    }

    public String inputName() {
        return inputName;
    }

    /** All outputs, in the graph's order (the network's outputs first for files written by {@link OnnxExporter}). */
    public List<String> outputNames() {
        return outputNames;
    }

    /** The model's {@code metadata_props}. */
    public Map<String, String> metadata() {
        try {
            return Map.copyOf(session.getMetadata().getCustomMetadata());
        } catch (OrtException e) {
            throw new IllegalStateException("cannot read ONNX model metadata", e);
        }
    }

    /** The first output for {@code input}. */
    public INDArray output(INDArray input) {
        return outputs(input, List.of(outputNames.get(0))).get(outputNames.get(0));
    }

    /** The named outputs for {@code input}, in the order asked. */
    public Map<String, INDArray> outputs(INDArray input, Collection<String> names) {
        for (String n : names) {
            if (!outputNames.contains(n)) {
                throw new IllegalArgumentException("the ONNX model has no output '" + n + "'; outputs: " + outputNames);
            }
        }
        INDArray in = contiguousFloat(input);
        FloatBuffer buffer = in.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
        try (OnnxTensor tensor = OnnxTensor.createTensor(OnnxRuntimeEnvironment.get(), buffer, in.shape());
             OrtSession.Result result = session.run(Map.of(inputName, tensor), new LinkedHashSet<>(names))) {
            Map<String, INDArray> out = new LinkedHashMap<>();
            for (String n : names) {
                OnnxValue value = result.get(n).orElseThrow();
                OnnxTensor t = (OnnxTensor) value;
                FloatBuffer fb = t.getFloatBuffer();
                float[] data = new float[fb.remaining()];
                fb.get(data);
                out.put(n, Nd4j.create(data, t.getInfo().getShape(), 'c'));
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on input " + Arrays.toString(input.shape())
                    + ": " + e.getMessage(), e);
        }
    }

    /** The array itself when its buffer already is exactly its float values in c order: ORT then reads it in place. */
    private static INDArray contiguousFloat(INDArray a) {
        boolean inPlace = a.dataType() == DataType.FLOAT && a.ordering() == 'c' && !a.isView()
                && a.data().length() == a.length() && a.data().offset() == 0;
        return inPlace ? a : a.castTo(DataType.FLOAT).dup('c');
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close ONNX Runtime session", e);
        }
    }
}
