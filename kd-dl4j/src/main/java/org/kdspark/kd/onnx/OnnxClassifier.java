package org.kdspark.kd.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kdspark.kd.data.InputSpec;

/**
 * An image classifier run by ONNX Runtime: one float NCHW input, an output of raw logits and, optionally, named
 * intermediate outputs used as feature taps. It takes the project's uint8 CHW pixels and normalises them exactly as
 * the DL4J models are fed ({@link InputSpec#toFloats}), so a teacher exported by {@link OnnxExporter} labels the
 * same as its DL4J original.
 *
 * <p>Any ONNX classifier fits (one trained in PyTorch, say) if it takes {@code [N, C, H, W]} floats in [0, 1] and
 * its logits output is not softmaxed. Thread-safe: concurrent calls share the one ONNX Runtime session.
 */
public final class OnnxClassifier implements AutoCloseable {

    /** The name of the logits output in files written by {@link OnnxExporter} with a {@code logits} tap. */
    public static final String LOGITS = "logits";

    /**
     * One batch's outputs, each flattened in c order.
     *
     * @param count   images in the batch
     * @param logits  {@code count x numClasses} raw logits
     * @param taps    one array per tap, {@code count x tapSize(t)} values
     * @param tapShapes the per-image shape of each tap (batch dimension dropped)
     */
    public record Outputs(int count, float[] logits, List<float[]> taps, List<int[]> tapShapes) {

        public int numClasses() {
            return logits.length / count;
        }

        public int tapSize(int tap) {
            return taps.get(tap).length / count;
        }
    }

    private final OnnxModel model;
    private final InputSpec spec;
    private final String logitsOutput;
    private final List<String> taps;
    private final List<String> outputs;

    private OnnxClassifier(OnnxModel model, InputSpec spec, String logitsOutput, List<String> taps) {
        this.model = model;
        this.spec = spec;
        this.logitsOutput = logitsOutput;
        this.taps = List.copyOf(taps);
        List<String> all = new ArrayList<>();
        all.add(logitsOutput);
        all.addAll(taps);
        this.outputs = List.copyOf(all);
    }

    /**
     * Loads {@code onnx} and checks it against {@code spec} and the outputs asked for; the model is closed again when
     * it does not fit.
     *
     * @param logitsOutput the output holding raw logits; null picks {@value #LOGITS} when the model has it, else
     *                     its first output
     * @param taps         further outputs to return (e.g. {@code block2})
     * @param threads      ONNX Runtime intra-op threads (the cores one caller may use)
     * @param cuda         run on CUDA device 0 (needs the {@code -Pgpu-onnx} build and a GPU)
     */
    public static OnnxClassifier open(byte[] onnx, InputSpec spec, String logitsOutput, List<String> taps, int threads,
                                      boolean cuda) {
        OnnxModel model = OnnxModel.open(onnx, threads, cuda);
        try {
            long[] in = model.inputShape();
            long[] want = spec.shape(-1);
            boolean fits = in.length == 4;
            for (int i = 1; fits && i < 4; i++) {
                fits = in[i] < 0 || in[i] == want[i];
            }
            if (!fits) {
                throw new IllegalArgumentException("the ONNX model's input '" + model.inputName() + "' has shape "
                        + Arrays.toString(in) + " but the images are [N, " + spec.channels() + ", " + spec.height()
                        + ", " + spec.width() + "] (NCHW): export the teacher for " + spec
                        + " or ingest with dataset.channels/height/width matching it");
            }
            String logits = logitsOutput != null ? logitsOutput
                    : model.outputNames().contains(LOGITS) ? LOGITS : model.outputNames().get(0);
            for (String name : concat(logits, taps)) {
                if (!model.outputNames().contains(name)) {
                    throw new IllegalArgumentException("the ONNX model has no output '" + name + "'; its outputs are "
                            + model.outputNames() + " (feature taps must be graph outputs: export them as taps)");
                }
            }
            return new OnnxClassifier(model, spec, logits, taps);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public String logitsOutput() {
        return logitsOutput;
    }

    public List<String> taps() {
        return taps;
    }

    public InputSpec spec() {
        return spec;
    }

    /** The model's {@code metadata_props}. */
    public Map<String, String> metadata() {
        return model.metadata();
    }

    /** Logits and taps for images {@code first .. first+count-1} of {@code pixels} (uint8 CHW, image after image). */
    public Outputs run(byte[] pixels, int first, int count) {
        return run(spec.toFloats(pixels, first, count), count);
    }

    /** Logits and taps for {@code count} images already normalised into an NCHW float array. */
    public Outputs run(float[] input, int count) {
        List<OnnxModel.FlatTensor> out = model.run(input, spec.shape(count), outputs);
        List<float[]> tapValues = new ArrayList<>(taps.size());
        List<int[]> tapShapes = new ArrayList<>(taps.size());
        for (int t = 0; t < taps.size(); t++) {
            tapValues.add(out.get(t + 1).values());
            long[] s = out.get(t + 1).shape();
            tapShapes.add(Arrays.stream(s, 1, s.length).mapToInt(Math::toIntExact).toArray());
        }
        return new Outputs(count, out.get(0).values(), tapValues, tapShapes);
    }

    /**
     * The per-image shape (batch dimension dropped) of the logits and of every tap, in that order, found by running
     * one blank image: what the driver checks and records before any distributed work.
     */
    public Map<String, List<Long>> outputShapes() {
        List<OnnxModel.FlatTensor> out = model.run(new float[spec.valuesPerImage()], spec.shape(1), outputs);
        Map<String, List<Long>> shapes = new LinkedHashMap<>();
        for (int i = 0; i < outputs.size(); i++) {
            long[] s = out.get(i).shape();
            shapes.put(outputs.get(i), Arrays.stream(s, 1, s.length).boxed().toList());
        }
        return shapes;
    }

    @Override
    public void close() {
        model.close();
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }
}
