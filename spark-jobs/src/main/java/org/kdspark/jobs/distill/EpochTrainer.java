package org.kdspark.jobs.distill;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Synchronous data-parallel training of a DL4J student over Spark executors, one epoch per call. The jobs see only this
 * interface; {@code distill.trainer} picks the implementation.
 */
public interface EpochTrainer {

    /**
     * {@code distill.trainer} values: gradients all-reduced every step on Spark barrier tasks, parameters averaged on
     * Spark barrier tasks, or parameters averaged by DL4J's ParameterAveragingTrainingMaster.
     */
    String ALLREDUCE = "allreduce";
    String BARRIER = "barrier";
    String DL4J = "dl4j";
    List<String> KINDS = List.of(ALLREDUCE, BARRIER, DL4J);

    /** Trainer settings; see the distill section of the config. */
    record Settings(int workers, int batchSizePerWorker, int averagingFrequency, int prefetchBatches, long seed, boolean syncBatchNorm) {
    }

    /**
     * One pass over {@code minibatches}, dealt to {@code workers} partitions, each element a minibatch of
     * {@code batchSizePerWorker} examples (the last of a partition may be smaller). Returns the mean training score of
     * the pass; afterwards {@link #network()} holds the averaged parameters and updater state.
     */
    double fitEpoch(JavaRDD<MultiDataSet> minibatches, int epoch);

    /** The averaged network, held on the driver. */
    ComputationGraph network();

    /** The trainer called {@code kind} (one of {@link #KINDS}) for {@code network}. */
    static EpochTrainer create(String kind, JavaSparkContext jsc, ComputationGraph network, Settings settings) {
        return switch (kind) {
            case ALLREDUCE -> new AllReduceTrainer(jsc, network, settings);
            case BARRIER -> new BarrierAveragingTrainer(jsc, network, settings);
            case DL4J -> new ParameterAveragingTrainer(jsc, network, settings);
            default -> throw new IllegalArgumentException("unknown trainer '" + kind + "': distill.trainer must be one of " + KINDS);
        };
    }
}
