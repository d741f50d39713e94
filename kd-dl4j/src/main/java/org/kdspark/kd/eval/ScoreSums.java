package org.kdspark.kd.eval;

import java.io.Serializable;

/**
 * The test-set figures of one model as sums that merge: each partition of a distributed evaluation adds its examples,
 * the partitions' sums are merged, and the figures come out of the total. Holds counts, the NLL and KL sums, the
 * calibration bins, the confusion matrix and the agreement with the teacher; never a per-example value, so its size is
 * {@code classes^2 + 3 x bins} numbers whatever the number of examples.
 *
 * <p>The figures are those of {@link Metrics} on all the examples at once: counts exactly, sums of doubles up to the
 * order of addition.
 */
public final class ScoreSums implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int classes;
    private final int bins;
    private long examples;
    private long correct;
    private double nllSum;
    private final long[] binCounts;
    private final long[] binCorrect;
    private final double[] binConfidence;
    private final long[][] confusion;
    private long withTeacher;
    private long agree;
    private long teacherRight;
    private long agreeWhenTeacherRight;
    private long agreeWhenTeacherWrong;
    private double klSum;

    public ScoreSums(int classes, int bins) {
        if (classes < 1 || bins < 1) {
            throw new IllegalArgumentException("classes and bins must be positive: " + classes + ", " + bins);
        }
        this.classes = classes;
        this.bins = bins;
        binCounts = new long[bins];
        binCorrect = new long[bins];
        binConfidence = new double[bins];
        confusion = new long[classes][classes];
    }

    /** Empty sums with the report's calibration bins. */
    public static ScoreSums of(int classes) {
        return new ScoreSums(classes, Evaluation.ECE_BINS);
    }

    /**
     * Adds {@code labels.length} examples: their logits (row-major), labels and, or null, the teacher's logits for them.
     * Returns this.
     */
    public ScoreSums add(float[] logits, int[] labels, float[] teacherLogits) {
        int n = labels.length;
        if (logits.length != (long) n * classes) {
            throw new IllegalArgumentException(logits.length + " logits for " + n + " examples of " + classes + " classes");
        }
        if (teacherLogits != null && teacherLogits.length != logits.length) {
            throw new IllegalArgumentException("teacher has " + teacherLogits.length + " logits, the model " + logits.length);
        }
        for (int i = 0; i < n; i++) {
            int label = labels[i];
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + label + " outside 0.." + (classes - 1));
            }
            double[] logp = Metrics.logSoftmax(logits, i, classes);
            int top = Metrics.argmax(logits, i, classes);
            examples++;
            boolean right = top == label;
            correct += right ? 1 : 0;
            nllSum -= logp[label];
            double confidence = Math.exp(logp[top]);
            int b = Math.min(bins - 1, (int) (confidence * bins));
            binCounts[b]++;
            binCorrect[b] += right ? 1 : 0;
            binConfidence[b] += confidence;
            confusion[label][top]++;
            if (teacherLogits != null) {
                int t = Metrics.argmax(teacherLogits, i, classes);
                boolean same = t == top;
                withTeacher++;
                agree += same ? 1 : 0;
                if (t == label) {
                    teacherRight++;
                    agreeWhenTeacherRight += same ? 1 : 0;
                } else {
                    agreeWhenTeacherWrong += same ? 1 : 0;
                }
                double[] lt = Metrics.logSoftmax(teacherLogits, i, classes);
                for (int c = 0; c < classes; c++) {
                    klSum += Math.exp(lt[c]) * (lt[c] - logp[c]);
                }
            }
        }
        return this;
    }

    /** Adds {@code other}'s examples to these; returns this. */
    public ScoreSums merge(ScoreSums other) {
        if (other.classes != classes || other.bins != bins) {
            throw new IllegalArgumentException("sums of " + other.classes + " classes / " + other.bins + " bins cannot merge into "
                    + classes + " / " + bins);
        }
        examples += other.examples;
        correct += other.correct;
        nllSum += other.nllSum;
        for (int b = 0; b < bins; b++) {
            binCounts[b] += other.binCounts[b];
            binCorrect[b] += other.binCorrect[b];
            binConfidence[b] += other.binConfidence[b];
        }
        for (int c = 0; c < classes; c++) {
            for (int d = 0; d < classes; d++) {
                confusion[c][d] += other.confusion[c][d];
            }
        }
        withTeacher += other.withTeacher;
        agree += other.agree;
        teacherRight += other.teacherRight;
        agreeWhenTeacherRight += other.agreeWhenTeacherRight;
        agreeWhenTeacherWrong += other.agreeWhenTeacherWrong;
        klSum += other.klSum;
        return this;
    }

    public long examples() {
        return examples;
    }

    public int classes() {
        return classes;
    }

    public double accuracy() {
        return examples == 0 ? 0 : correct / (double) examples;
    }

    public double nll() {
        return examples == 0 ? 0 : nllSum / examples;
    }

    public double ece() {
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            if (binCounts[b] > 0) {
                ece += binCounts[b] / (double) examples * Math.abs(binCorrect[b] / (double) binCounts[b] - binConfidence[b] / binCounts[b]);
            }
        }
        return ece;
    }

    public Metrics.Reliability reliability() {
        double[] accuracy = new double[bins];
        double[] confidence = new double[bins];
        for (int b = 0; b < bins; b++) {
            if (binCounts[b] > 0) {
                accuracy[b] = binCorrect[b] / (double) binCounts[b];
                confidence[b] = binConfidence[b] / binCounts[b];
            }
        }
        return new Metrics.Reliability(binCounts.clone(), accuracy, confidence);
    }

    /** Confusion counts, {@code [true label][predicted]}. */
    public long[][] confusion() {
        long[][] copy = new long[classes][];
        for (int c = 0; c < classes; c++) {
            copy[c] = confusion[c].clone();
        }
        return copy;
    }

    /** Top-1 agreement with the teacher (NaN without teacher logits). */
    public double teacherAgreement() {
        return withTeacher == 0 ? Double.NaN : agree / (double) withTeacher;
    }

    /** Mean KL(teacher || model) at temperature 1 (NaN without teacher logits). */
    public double klFromTeacher() {
        return withTeacher == 0 ? Double.NaN : klSum / withTeacher;
    }

    /** Agreement overall and split by whether the teacher was right, as {@link Metrics#teacherAgreement}. */
    public Metrics.TeacherAgreement agreementSplit() {
        long wrong = withTeacher - teacherRight;
        return new Metrics.TeacherAgreement(teacherAgreement(),
                teacherRight == 0 ? Double.NaN : agreeWhenTeacherRight / (double) teacherRight,
                wrong == 0 ? Double.NaN : agreeWhenTeacherWrong / (double) wrong, Math.toIntExact(teacherRight), Math.toIntExact(wrong));
    }
}
