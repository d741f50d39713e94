package org.kdspark.jobs.teacher;

import java.io.Serializable;
import java.util.List;
import java.util.Set;
import org.kdspark.kd.data.InputSpec;

/**
 * A teacher as the executors see it: it labels batches of images with raw logits and feature taps. Instances are
 * small and serializable; the model itself travels as a broadcast and is loaded once per executor JVM. Two
 * implementations: {@link Dl4jTeacherBackend} and {@link org.kdspark.jobs.teacher.OnnxTeacherBackend} (ONNX Runtime).
 */
public interface TeacherBackend extends Serializable {

    /**
     * Logits and taps of the first {@code count} images of {@code pixels} (uint8, CHW, image after image, in the
     * teacher's input spec).
     */
    Outputs label(byte[] pixels, int count);

    /** The feature taps, in the order {@link Outputs#taps()} holds them. */
    List<String> taps();

    /** Frees the model's broadcast once the job is done with it (on the driver). */
    void release();

    /** The images the teacher takes: every pixel array must hold {@code spec().valuesPerImage()} bytes. */
    InputSpec spec();

    /**
     * This teacher giving, for each of {@code taps} it can, the tap's L2-normalised attention map ({@code [H, W]}, see
     * {@link org.kdspark.kd.onnx.OnnxAttentionOutputs}) in place of its feature map: for a store that keeps only the
     * attention map, computed next to the network so that the whole map never leaves it. By default it cannot and
     * returns itself; {@link #attentionTaps()} says which taps the returned teacher reduces.
     */
    default TeacherBackend withAttentionMaps(Set<String> taps) {
        return this;
    }

    /** The taps whose {@link Outputs} hold attention maps instead of feature maps; empty by default. */
    default Set<String> attentionTaps() {
        return Set.of();
    }

    /** How many teachers give their logits: 1, or the size of an {@link EnsembleTeacherBackend}. */
    default int members() {
        return 1;
    }

    /**
     * What a batch produced.
     *
     * @param logits {@code count x numClasses} raw logits
     * @param taps   one array per tap, {@code count x tapSize(t)} values, flattened CHW
     * @param tapShapes the per-image shape of each tap, e.g. {@code [C, H, W]}
     * @param memberLogits an ensemble's: each member's {@code count x numClasses} logits; empty for one teacher
     */
    record Outputs(int count, float[] logits, List<float[]> taps, List<int[]> tapShapes, List<float[]> memberLogits) {

        public Outputs(int count, float[] logits, List<float[]> taps, List<int[]> tapShapes) {
            this(count, logits, taps, tapShapes, List.of());
        }

        public int numClasses() {
            return logits.length / count;
        }

        public int tapSize(int tap) {
            return taps.get(tap).length / count;
        }
    }
}
