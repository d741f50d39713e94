package org.kdspark.jobs.evaluate;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.eval.Metrics;
import org.kdspark.kd.model.GraphOutputs;

/** Scores a model on the test split: accuracy, NLL, calibration, and agreement with the teacher. */
public final class Evaluation {

    private static final int BATCH = 500;
    /** Equal-width confidence bins of the ECE and of the report's reliability diagram. */
    static final int ECE_BINS = 15;

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

    /**
     * The teacher's stored logits for {@code ids}, in that order, decoded by the store's {@code logits} signal (a
     * top-k store gives its dense reconstruction: the same arg-max, the teacher's top-K probabilities at T=1).
     */
    public static float[] teacherLogits(Dataset<Row> store, SoftLabelStore.Signal logits, List<String> ids) {
        int numClasses = logits.width();
        List<Row> rows = store.filter(functions.col(SoftLabelStore.SPLIT).equalTo(ImageTable.TEST))
                .select(SoftLabelStore.ID, logits.column()).collectAsList();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            index.put(ids.get(i), i);
        }
        float[] out = new float[ids.size() * numClasses];
        int found = 0;
        for (Row r : rows) {
            Integer i = index.get(r.getString(0));
            if (i != null) {
                logits.decodeInto(r, 1, out, i * numClasses);
                found++;
            }
        }
        if (found != ids.size()) {
            throw new IllegalStateException("the soft-label store has logits for " + found + " of " + ids.size()
                    + " test images: re-run 'kd soft-labels' for this image table");
        }
        return out;
    }
}
