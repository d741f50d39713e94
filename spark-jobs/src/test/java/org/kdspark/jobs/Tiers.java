package org.kdspark.jobs;

/**
 * The test tiers. Untagged tests are unit and component tests, run by {@code ./mvnw test} in a few minutes. Tests
 * tagged {@value #SLOW} run the real jobs end to end on slices of real data, in child JVMs, or against HDFS, S3 and YARN
 * servers on 127.0.0.1; {@code ./mvnw verify} runs them after the others (the failsafe plugin), as CI does.
 */
public final class Tiers {

    /** End-to-end and server tests: {@code ./mvnw verify} only. */
    public static final String SLOW = "slow";

    private Tiers() {
    }
}
