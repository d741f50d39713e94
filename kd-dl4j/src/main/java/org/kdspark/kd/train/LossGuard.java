package org.kdspark.kd.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.method.Objective;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Stops a distill run whose loss or parameters became NaN or infinite, with a message that names the epoch and the
 * loss term: the terms are scored one by one on the epoch's first minibatches with the parameters from before the
 * epoch, on the driver.
 */
public final class LossGuard {

    /** Minibatches scored per term to find the culprit. */
    public static final int CULPRIT_BATCHES = 16;

    private LossGuard() {
    }

    /** A loss or parameters that are not finite. */
    public static final class NonFiniteLossException extends org.kdspark.kd.error.JobFailedException {
        private static final long serialVersionUID = 1L;

        NonFiniteLossException(String message) {
            super(message);
        }
    }

    /**
     * Returns when {@code loss} and the parameters of {@code after} are finite, else throws naming the culprit.
     *
     * @param before  the network before the epoch (not trained further)
     * @param batches the epoch's first minibatches (up to {@link #CULPRIT_BATCHES}), fetched only when needed
     */
    public static void check(int epoch, double loss, ComputationGraph after, ComputationGraph before, Objective objective,
            java.util.function.IntFunction<List<MultiDataSet>> batches) {
        boolean finiteParams = Double.isFinite(after.params().sumNumber().doubleValue());
        if (Double.isFinite(loss) && finiteParams) {
            return;
        }
        Map<String, Double> worst = new LinkedHashMap<>();
        for (MultiDataSet batch : batches.apply(CULPRIT_BATCHES)) {
            termLosses(before, objective, batch).forEach((term, value) -> worst.merge(term, value,
                    (a, b) -> Double.isFinite(a) ? (Double.isFinite(b) ? Math.max(a, b) : b) : a));
        }
        String culprit = worst.entrySet().stream().filter(e -> !Double.isFinite(e.getValue())).map(Map.Entry::getKey).findFirst().orElse(null);
        String largest = worst.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("?");
        String what = Double.isFinite(loss) ? "the parameters became non-finite" : String.format(Locale.ROOT, "the loss became %s", loss);
        throw new NonFiniteLossException(String.format(Locale.ROOT, "distill stopped in epoch %d: %s. ", epoch, what)
                + (culprit != null
                        ? "The loss term '" + culprit + "' is " + worst.get(culprit) + " on the epoch's first minibatches (terms: " + worst
                                + "): check the teacher signal it reads (re-run 'kd soft-labels' if the store holds NaN or Inf) and the term's"
                                + " weight"
                        : "Every term was finite on the epoch's first minibatches with the parameters from before the epoch (" + worst
                                + "), the largest being '" + largest + "': training diverged; lower distill.learning_rate or the weight of '"
                                + largest + "'"));
    }

    /** Each term's loss on {@code batch}, keyed by the term's name. */
    public static Map<String, Double> termLosses(ComputationGraph network, Objective objective, MultiDataSet batch) {
        ComputationGraph g = network.clone();
        g.setInputs(batch.getFeatures());
        g.setLabels(batch.getLabels());
        g.setLayerMaskArrays(batch.getFeaturesMaskArrays(), batch.getLabelsMaskArrays());
        g.computeGradientAndScore();
        Map<String, Double> out = new LinkedHashMap<>();
        List<Objective.Term> terms = objective.terms();
        for (Objective.Term t : terms) {
            out.put(t.key(), g.getLayer(t.outputName()).score());
        }
        return out;
    }
}
