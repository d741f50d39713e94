package org.kdspark.jobs.config;

/** {@code distill.allreduce}: how the barrier trainers' tasks sum their gradients (or parameters) each round. */
public enum AllReduceTopology implements ConfigChoice {
    /** Reduce-scatter then all-gather around a ring: each task sends under twice the vector a round, whatever the workers. */
    RING,
    /** Task 0 sums every task's vector and sends the sum back: two hops, but task 0 moves workers - 1 vectors each way. */
    STAR;

    @Override
    public String toString() {
        return configName();
    }
}
