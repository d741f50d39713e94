package org.kdspark.jobs.config;

/** {@code soft_labels.ensemble}: how the teachers of an ensemble combine into the stored logits. */
public enum EnsembleMode implements ConfigChoice {
    /** The mean of the teachers' logits. */
    MEAN_LOGITS,
    /** The log of the mean of their softmax probabilities: softmax of the stored logits is their mean distribution. */
    MEAN_PROBS;

    @Override
    public String toString() {
        return configName();
    }
}
