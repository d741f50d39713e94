package org.kdspark.kd.train;

import java.util.List;

/**
 * Early stopping on validation accuracy, decided from the history alone (so a resumed run decides as an uninterrupted
 * one): training stops once {@code patience} epochs have passed without a validation accuracy above the best so far.
 * The first of equal best accuracies counts as the best epoch. A patience of 0 never stops.
 */
public record EarlyStopping(int patience) {

    public boolean enabled() {
        return patience > 0;
    }

    /** The epoch with the best validation accuracy in {@code history}; 0 when none has one. */
    public int bestEpoch(List<EpochResult> history) {
        int best = 0;
        double bestAccuracy = Double.NEGATIVE_INFINITY;
        for (EpochResult e : history) {
            if (e.validationAccuracy() != null && e.validationAccuracy() > bestAccuracy) {
                bestAccuracy = e.validationAccuracy();
                best = e.epoch();
            }
        }
        return best;
    }

    /** Whether to stop before the next epoch. */
    public boolean shouldStop(List<EpochResult> history) {
        if (!enabled() || history.isEmpty()) {
            return false;
        }
        int last = history.get(history.size() - 1).epoch();
        int best = bestEpoch(history);
        return best > 0 && last - best >= patience;
    }
}
