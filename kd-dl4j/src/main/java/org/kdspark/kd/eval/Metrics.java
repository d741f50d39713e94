package org.kdspark.kd.eval;

/**
 * Classification metrics computed from raw logits (row-major {@code [n, classes]}) and integer labels.
 *
 * <p>Accuracy, negative log-likelihood, expected calibration error (Guo et al. 2017, equal-width confidence
 * bins), and, against a teacher's logits, top-1 agreement and the mean KL(teacher || student) at
 * temperature 1.
 */
public final class Metrics {

    private Metrics() {
    }

    public static double accuracy(float[] logits, int[] labels) {
        int k = classes(logits, labels.length);
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            if (argmax(logits, i, k) == labels[i]) {
                correct++;
            }
        }
        return labels.length == 0 ? 0 : correct / (double) labels.length;
    }

    /** Mean of -log softmax(logits)[label]. */
    public static double nll(float[] logits, int[] labels) {
        int k = classes(logits, labels.length);
        double sum = 0;
        for (int i = 0; i < labels.length; i++) {
            sum -= logSoftmax(logits, i, k)[labels[i]];
        }
        return labels.length == 0 ? 0 : sum / labels.length;
    }

    /**
     * Expected calibration error: sum over bins of |bin| / n * |accuracy(bin) - mean confidence(bin)|, the
     * confidence being the top softmax probability.
     */
    public static double expectedCalibrationError(float[] logits, int[] labels, int bins) {
        Reliability r = reliability(logits, labels, bins);
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            if (r.counts[b] > 0) {
                ece += r.counts[b] / (double) labels.length * Math.abs(r.accuracy[b] - r.confidence[b]);
            }
        }
        return ece;
    }

    /** Per-bin counts, accuracy and mean confidence: the data of a reliability diagram. */
    public static Reliability reliability(float[] logits, int[] labels, int bins) {
        int k = classes(logits, labels.length);
        long[] counts = new long[bins];
        double[] acc = new double[bins];
        double[] conf = new double[bins];
        for (int i = 0; i < labels.length; i++) {
            double[] p = softmax(logits, i, k);
            int top = 0;
            for (int c = 1; c < k; c++) {
                if (p[c] > p[top]) {
                    top = c;
                }
            }
            int b = Math.min(bins - 1, (int) (p[top] * bins));
            counts[b]++;
            acc[b] += top == labels[i] ? 1 : 0;
            conf[b] += p[top];
        }
        for (int b = 0; b < bins; b++) {
            if (counts[b] > 0) {
                acc[b] /= counts[b];
                conf[b] /= counts[b];
            }
        }
        return new Reliability(counts, acc, conf);
    }

    /** Reliability-diagram data. */
    public record Reliability(long[] counts, double[] accuracy, double[] confidence) {
    }

    /** Fraction of examples where student and teacher predict the same class. */
    public static double agreement(float[] studentLogits, float[] teacherLogits, int n) {
        int k = classes(studentLogits, n);
        int same = 0;
        for (int i = 0; i < n; i++) {
            if (argmax(studentLogits, i, k) == argmax(teacherLogits, i, k)) {
                same++;
            }
        }
        return n == 0 ? 0 : same / (double) n;
    }

    /**
     * Top-1 agreement with the teacher, overall and split by whether the teacher's own prediction was right. A
     * student that only learned the labels agrees with the teacher mostly where the teacher is right; a distilled
     * student also tends to repeat the teacher's mistakes, which shows in {@code whenTeacherWrong}.
     */
    public static TeacherAgreement teacherAgreement(float[] studentLogits, float[] teacherLogits, int[] labels) {
        int n = labels.length;
        int k = classes(studentLogits, n);
        if (teacherLogits.length != studentLogits.length) {
            throw new IllegalArgumentException("teacher has " + teacherLogits.length + " logits, student " + studentLogits.length);
        }
        int right = 0;
        int agreeRight = 0;
        int agreeWrong = 0;
        for (int i = 0; i < n; i++) {
            int t = argmax(teacherLogits, i, k);
            boolean agree = argmax(studentLogits, i, k) == t;
            if (t == labels[i]) {
                right++;
                agreeRight += agree ? 1 : 0;
            } else {
                agreeWrong += agree ? 1 : 0;
            }
        }
        int wrong = n - right;
        return new TeacherAgreement(n == 0 ? 0 : (agreeRight + agreeWrong) / (double) n,
                right == 0 ? Double.NaN : agreeRight / (double) right, wrong == 0 ? Double.NaN : agreeWrong / (double) wrong,
                right, wrong);
    }

    /**
     * Agreement with the teacher: overall, on the examples the teacher classifies correctly, and on those it gets
     * wrong (NaN when there are none), with the sizes of those two groups.
     */
    public record TeacherAgreement(double all, double whenTeacherRight, double whenTeacherWrong, int teacherRight,
            int teacherWrong) {
    }

    /** Mean KL(softmax(teacher) || softmax(student)). */
    public static double klFromTeacher(float[] studentLogits, float[] teacherLogits, int n) {
        int k = classes(studentLogits, n);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double[] lt = logSoftmax(teacherLogits, i, k);
            double[] ls = logSoftmax(studentLogits, i, k);
            for (int c = 0; c < k; c++) {
                sum += Math.exp(lt[c]) * (lt[c] - ls[c]);
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    /** Confusion counts: {@code [true label][predicted]}. */
    public static long[][] confusion(float[] logits, int[] labels) {
        int k = classes(logits, labels.length);
        long[][] m = new long[k][k];
        for (int i = 0; i < labels.length; i++) {
            m[labels[i]][argmax(logits, i, k)]++;
        }
        return m;
    }

    public static int argmax(float[] logits, int row, int k) {
        int best = 0;
        for (int c = 1; c < k; c++) {
            if (logits[row * k + c] > logits[row * k + best]) {
                best = c;
            }
        }
        return best;
    }

    static double[] logSoftmax(float[] logits, int row, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            max = Math.max(max, logits[row * k + c]);
        }
        double sum = 0;
        for (int c = 0; c < k; c++) {
            sum += Math.exp(logits[row * k + c] - max);
        }
        double log = max + Math.log(sum);
        double[] out = new double[k];
        for (int c = 0; c < k; c++) {
            out[c] = logits[row * k + c] - log;
        }
        return out;
    }

    /** The softmax of row {@code row} of row-major {@code logits} with {@code k} classes per row. */
    public static double[] softmax(float[] logits, int row, int k) {
        double[] l = logSoftmax(logits, row, k);
        for (int c = 0; c < k; c++) {
            l[c] = Math.exp(l[c]);
        }
        return l;
    }

    private static int classes(float[] logits, int n) {
        if (n == 0) {
            return 1;
        }
        if (logits.length % n != 0) {
            throw new IllegalArgumentException(logits.length + " logits is not a multiple of " + n + " examples");
        }
        return logits.length / n;
    }
}
