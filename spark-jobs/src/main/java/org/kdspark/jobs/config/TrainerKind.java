package org.kdspark.jobs.config;

/** {@code distill.trainer}: how the workers train the student together. */
public enum TrainerKind implements ConfigChoice {
    /** Synchronous SGD: an epoch is one Spark barrier stage whose tasks sum their gradients every step over TCP. */
    ALLREDUCE,
    /** The same barrier stage, averaging parameters and updater state every {@code averaging_frequency} minibatches. */
    BARRIER,
    /** DL4J's ParameterAveragingTrainingMaster: a Spark job per averaging round. */
    DL4J;

    @Override
    public String toString() {
        return configName();
    }
}
