package org.kdspark.jobs.teacher;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.spark.broadcast.Broadcast;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.onnx.OnnxAttentionOutputs;
import org.kdspark.kd.onnx.OnnxClassifier;

/**
 * The ONNX Runtime teacher as the executors see it: the model travels as a broadcast, is opened once per executor JVM
 * ({@link OnnxTeacherCache}) and labels batches of uint8 CHW pixels with logits and feature taps.
 */
public final class OnnxTeacherBackend implements TeacherBackend {

    private static final long serialVersionUID = 1L;

    private final Broadcast<byte[]> onnx;
    private final String sha256;
    private final InputSpec spec;
    private final String logitsOutput;
    private final List<String> taps;
    private final boolean cuda;
    private final Set<String> attentionTaps;
    /** The model's outputs asked for, one per tap: the tap, or its attention map. */
    private final List<String> outputs;

    public OnnxTeacherBackend(Broadcast<byte[]> onnx, String sha256, InputSpec spec, String logitsOutput, List<String> taps, boolean cuda) {
        this(onnx, sha256, spec, logitsOutput, taps, cuda, Set.of());
    }

    private OnnxTeacherBackend(Broadcast<byte[]> onnx, String sha256, InputSpec spec, String logitsOutput, List<String> taps, boolean cuda,
            Set<String> attentionTaps) {
        this.onnx = onnx;
        this.sha256 = sha256;
        this.spec = spec;
        this.logitsOutput = logitsOutput;
        this.taps = List.copyOf(taps);
        this.cuda = cuda;
        this.attentionTaps = Set.copyOf(attentionTaps);
        this.outputs = OnnxAttentionOutputs.outputNames(this.taps, attentionTaps);
    }

    @Override
    public Outputs label(byte[] pixels, int count) {
        Supplier<byte[]> model = () -> OnnxAttentionOutputs.add(onnx.value(), taps.stream().filter(attentionTaps::contains).toList());
        OnnxClassifier.Outputs out = OnnxTeacherCache.run(sha256, model, spec, logitsOutput, outputs, cuda, m -> m.run(pixels, 0, count));
        return new Outputs(out.count(), out.logits(), out.taps(), out.tapShapes());
    }

    /** ONNX Runtime computes the attention maps: the model gains an output per tap (OnnxAttentionOutputs). */
    @Override
    public TeacherBackend withAttentionMaps(Set<String> attention) {
        Set<String> reduced = taps.stream().filter(attention::contains).collect(Collectors.toUnmodifiableSet());
        return new OnnxTeacherBackend(onnx, sha256, spec, logitsOutput, taps, cuda, reduced);
    }

    @Override
    public Set<String> attentionTaps() {
        return attentionTaps;
    }

    @Override
    public List<String> taps() {
        return taps;
    }

    @Override
    public void release() {
        onnx.destroy();
    }

    @Override
    public InputSpec spec() {
        return spec;
    }
}
