package org.kdspark.kd.eval;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.model.GraphOutputs;

/** Scores a model on the test split: accuracy, NLL, calibration, and agreement with the teacher. */
public final class Evaluation {

    private static final int BATCH = 500;
    /** Equal-width confidence bins of the ECE and of the report's reliability diagram. */
    public static final int ECE_BINS = 15;

    /** Test-set figures of one model. */
    public record Scores(double accuracy, double nll, double ece, double teacherAgreement, double klFromTeacher, float[] logits,
            int[] labels) {
    }

    private Evaluation() {
    }

    /** Raw logits of {@code graph} on every image of {@code images}, row-major. */
    public static float[] logits(ComputationGraph graph, LabeledImages images) {
        return GraphOutputs.activations(graph, images, GraphOutputs.LOGITS, BATCH);
    }

    public static Scores evaluate(ComputationGraph graph, LabeledImages images, float[] teacherLogits) {
        return score(logits(graph, images), images.labels(), teacherLogits);
    }

    public static Scores score(float[] logits, int[] labels, float[] teacherLogits) {
        int n = labels.length;
        return new Scores(Metrics.accuracy(logits, labels), Metrics.nll(logits, labels),
                Metrics.expectedCalibrationError(logits, labels, ECE_BINS),
                teacherLogits == null ? Double.NaN : Metrics.agreement(logits, teacherLogits, n),
                teacherLogits == null ? Double.NaN : Metrics.klFromTeacher(logits, teacherLogits, n), logits, labels);
    }
}
