package org.kdspark.jobs.config;

/** {@code distill.epoch_order}: how each epoch's training rows reach the workers. */
public enum EpochOrderKind implements ConfigChoice {
    /**
     * The rows are dealt to the workers once, by a hash of their id, and stay there: each epoch every worker visits its
     * share in a new order (a sort inside its task), so no row crosses the network after the first.
     */
    LOCAL,
    /** Every epoch re-deals all rows to the workers by a hash of (id, seed, epoch): a shuffle of the whole training set. */
    GLOBAL;

    @Override
    public String toString() {
        return configName();
    }
}
