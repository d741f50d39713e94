package org.kdspark.jobs.teacher;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.model.GraphOutputs;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The DL4J teacher: its zip travels as a broadcast and is deserialised once per executor JVM ({@link TeacherCache});
 * each concurrent task borrows its own copy.
 */
public final class Dl4jTeacherBackend implements TeacherBackend {

    private static final long serialVersionUID = 1L;

    private final Broadcast<byte[]> zip;
    private final String sha256;
    private final InputSpec spec;
    private final List<String> taps;

    /**
     * @param zip    the teacher's model zip, broadcast
     * @param sha256 hex SHA-256 of the zip, the executors' cache key
     */
    public Dl4jTeacherBackend(Broadcast<byte[]> zip, String sha256, InputSpec spec, List<String> taps) {
        this.zip = zip;
        this.sha256 = sha256;
        this.spec = spec;
        this.taps = List.copyOf(taps);
    }

    @Override
    public Outputs label(byte[] pixels, int count) {
        ComputationGraph teacher = TeacherCache.borrow(sha256, zip::value);
        try {
            return label(teacher, spec, taps, pixels, 0, count);
        } finally {
            TeacherCache.release(sha256, teacher);
        }
    }

    /**
     * What {@link #label} does with a borrowed teacher: images {@code first .. first+count-1} of {@code pixels} through
     * {@code teacher}, logits and {@code taps} copied out row-major.
     */
    public static Outputs label(ComputationGraph teacher, InputSpec spec, List<String> taps, byte[] pixels, int first, int count) {
        List<String> vertices = new ArrayList<>(taps.size() + 1);
        vertices.add(GraphOutputs.LOGITS);
        vertices.addAll(taps);
        INDArray[] acts = GraphOutputs.activations(teacher, spec.toInput(pixels, first, count), vertices);
        List<float[]> features = new ArrayList<>(taps.size());
        List<int[]> shapes = new ArrayList<>(taps.size());
        for (int t = 0; t < taps.size(); t++) {
            features.add(acts[t + 1].dup('c').data().asFloat());
            long[] s = acts[t + 1].shape();
            shapes.add(java.util.Arrays.stream(s, 1, s.length).mapToInt(Math::toIntExact).toArray());
        }
        return new Outputs(count, acts[0].dup('c').data().asFloat(), features, shapes);
    }

    @Override
    public List<String> taps() {
        return taps;
    }

    @Override
    public void release() {
        zip.destroy();
    }

    @Override
    public InputSpec spec() {
        return spec;
    }
}
