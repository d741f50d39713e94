package org.kdspark.jobs.onnx;

import java.util.List;
import org.apache.spark.broadcast.Broadcast;
import org.kdspark.jobs.softlabels.TeacherBackend;
import org.kdspark.kd.data.InputSpec;
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

    public OnnxTeacherBackend(Broadcast<byte[]> onnx, String sha256, InputSpec spec, String logitsOutput, List<String> taps, boolean cuda) {
        this.onnx = onnx;
        this.sha256 = sha256;
        this.spec = spec;
        this.logitsOutput = logitsOutput;
        this.taps = List.copyOf(taps);
        this.cuda = cuda;
    }

    @Override
    public Outputs label(byte[] pixels, int count) {
        OnnxClassifier.Outputs out = OnnxTeacherCache.get(sha256, onnx::value, spec, logitsOutput, taps, cuda).run(pixels, 0, count);
        return new Outputs(out.count(), out.logits(), out.taps(), out.tapShapes());
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
