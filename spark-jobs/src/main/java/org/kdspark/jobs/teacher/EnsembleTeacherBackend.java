package org.kdspark.jobs.teacher;

import java.util.ArrayList;
import java.util.List;
import org.kdspark.jobs.config.EnsembleMode;
import org.kdspark.kd.data.InputSpec;

/**
 * Several teachers labelling in one pass. Every member labels the batch; the ensemble's logits are the mean of the
 * members' logits ({@link EnsembleMode#MEAN_LOGITS}) or the log of the mean of their softmax probabilities
 * ({@link EnsembleMode#MEAN_PROBS}: {@code softmax} of those logits is the members' mean distribution at temperature 1). The
 * feature taps are the first member's; each member's own logits are kept ({@link Outputs#memberLogits()}).
 */
public final class EnsembleTeacherBackend implements TeacherBackend {

    private static final long serialVersionUID = 1L;

    private final List<TeacherBackend> members;
    private final EnsembleMode mode;

    /** {@code members}: at least two, all taking the same images; the first one's taps are stored. */
    public EnsembleTeacherBackend(List<TeacherBackend> members, EnsembleMode mode) {
        if (members.size() < 2) {
            throw new IllegalArgumentException("an ensemble needs at least two teachers, got " + members.size());
        }
        for (TeacherBackend m : members) {
            if (!m.spec().sameImages(members.get(0).spec())) {
                throw new IllegalArgumentException("ensemble teachers take different images: " + m.spec() + " and " + members.get(0).spec());
            }
        }
        this.members = List.copyOf(members);
        this.mode = mode;
    }

    @Override
    public Outputs label(byte[] pixels, int count) {
        List<float[]> logits = new ArrayList<>(members.size());
        Outputs first = null;
        for (TeacherBackend m : members) {
            Outputs o = m.label(pixels, count);
            if (first == null) {
                first = o;
            } else if (o.logits().length != first.logits().length) {
                throw new IllegalStateException("ensemble teachers give " + first.numClasses() + " and " + o.numClasses() + " logits per image");
            }
            logits.add(o.logits());
        }
        return new Outputs(count, combine(logits, first.numClasses(), mode), first.taps(), first.tapShapes(), logits);
    }

    /** The ensemble's logits from the members' ({@code count x numClasses} each, row-major). */
    static float[] combine(List<float[]> members, int numClasses, EnsembleMode mode) {
        int n = members.get(0).length;
        float[] out = new float[n];
        if (mode == EnsembleMode.MEAN_LOGITS) {
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (float[] m : members) {
                    sum += m[i];
                }
                out[i] = (float) (sum / members.size());
            }
            return out;
        }
        double[] mean = new double[numClasses];
        for (int row = 0; row < n / numClasses; row++) {
            java.util.Arrays.fill(mean, 0);
            int base = row * numClasses;
            for (float[] m : members) {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < numClasses; c++) {
                    max = Math.max(max, m[base + c]);
                }
                double z = 0;
                for (int c = 0; c < numClasses; c++) {
                    z += Math.exp(m[base + c] - max);
                }
                for (int c = 0; c < numClasses; c++) {
                    mean[c] += Math.exp(m[base + c] - max) / z / members.size();
                }
            }
            for (int c = 0; c < numClasses; c++) {
                out[base + c] = (float) Math.log(Math.max(mean[c], Double.MIN_NORMAL));
            }
        }
        return out;
    }

    @Override
    public List<String> taps() {
        return members.get(0).taps();
    }

    @Override
    public void release() {
        members.forEach(TeacherBackend::release);
    }

    @Override
    public InputSpec spec() {
        return members.get(0).spec();
    }

    @Override
    public int members() {
        return members.size();
    }

    public EnsembleMode mode() {
        return mode;
    }
}
