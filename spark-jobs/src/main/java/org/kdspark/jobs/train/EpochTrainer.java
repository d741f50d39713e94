package org.kdspark.jobs.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.AllReduceTopology;
import org.kdspark.jobs.config.TrainerKind;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Synchronous data-parallel training of a DL4J student over Spark executors, one epoch per call. The jobs see only this
 * interface; {@code distill.trainer} ({@link TrainerKind}) picks the implementation.
 */
public interface EpochTrainer {

    /** Trainer settings; see the distill section of the config. */
    record Settings(int workers, int batchSizePerWorker, int averagingFrequency, int prefetchBatches, long seed, boolean syncBatchNorm,
            AllReduceTopology allreduce, String midEpochDir, double checkpointMinutes, int checkpointSteps) {

        /** Without mid-epoch checkpoints. */
        public Settings(int workers, int batchSizePerWorker, int averagingFrequency, int prefetchBatches, long seed, boolean syncBatchNorm,
                AllReduceTopology allreduce) {
            this(workers, batchSizePerWorker, averagingFrequency, prefetchBatches, seed, syncBatchNorm, allreduce, null, 0, 0);
        }

        /** These settings with mid-epoch checkpoints under {@code dir} (the barrier trainers): see {@link MidEpochCheckpoints}. */
        public Settings withMidEpochCheckpoints(String dir, double minutes, int steps) {
            return new Settings(workers, batchSizePerWorker, averagingFrequency, prefetchBatches, seed, syncBatchNorm, allreduce, dir, minutes, steps);
        }
    }

    /**
     * One pass over {@code minibatches}, dealt to {@code workers} partitions, each element a minibatch of
     * {@code batchSizePerWorker} examples (the last of a partition may be smaller). Returns the mean training score of
     * the pass; afterwards {@link #network()} holds the averaged parameters and updater state.
     */
    double fitEpoch(JavaRDD<MultiDataSet> minibatches, int epoch);

    /** The averaged network, held on the driver. */
    ComputationGraph network();

    /** The trainer of {@code kind} for {@code network}. */
    static EpochTrainer create(TrainerKind kind, JavaSparkContext jsc, ComputationGraph network, Settings settings) {
        return switch (kind) {
            case ALLREDUCE -> new AllReduceTrainer(jsc, network, settings);
            case BARRIER -> new BarrierAveragingTrainer(jsc, network, settings);
            case DL4J -> new ParameterAveragingTrainer(jsc, network, settings);
        };
    }
}
