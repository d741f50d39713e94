package org.kdspark.jobs.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Synchronous parameter averaging over Spark executors, through DL4J's {@code ParameterAveragingTrainingMaster}.
 *
 * <p>dl4j-spark is deprecated upstream and pinned at 1.0.0-M2; this is the only class that touches it, so
 * it can be replaced by averaging on Spark primitives without changing the jobs. Each worker fits
 * {@code averagingFrequency} minibatches of {@code batchSizePerWorker} examples, then the driver averages
 * parameters (and updater state) and broadcasts them back. Each averaging round is a Spark job of its own (a
 * broadcast, a stage, a {@code treeAggregate}): {@link BarrierAveragingTrainer} runs an epoch as one stage instead.
 */
public final class ParameterAveragingTrainer implements EpochTrainer {

    private final JavaSparkContext jsc;
    private final Settings settings;
    private ComputationGraph network;

    public ParameterAveragingTrainer(JavaSparkContext jsc, ComputationGraph network, Settings settings) {
        this.jsc = jsc;
        this.network = network;
        this.settings = settings;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The training master splits the epoch's data into averaging rounds at random; its seed is derived from
     * (seed, epoch) and a fresh master serves each epoch, so the rounds are a function of the epoch alone and a run
     * resumed from a checkpoint trains exactly as an uninterrupted one.
     */
    @Override
    public double fitEpoch(JavaRDD<MultiDataSet> minibatches, int epoch) {
        ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(settings.workers(), settings.batchSizePerWorker())
                .batchSizePerWorker(settings.batchSizePerWorker())
                .averagingFrequency(settings.averagingFrequency())
                .workerPrefetchNumBatches(settings.prefetchBatches())
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .repartionData(Repartition.NumPartitionsWorkersDiffers)
                .storageLevel(StorageLevel.MEMORY_ONLY())
                .saveUpdater(true)
                .rngSeed(settings.seed() * 1_000_003L + epoch)
                .build();
        SparkComputationGraph spark = new SparkComputationGraph(jsc, network, master);
        try {
            spark.fitMultiDataSet(minibatches);
            network = spark.getNetwork();
            return spark.getScore();
        } finally {
            master.deleteTempFiles(jsc);
        }
    }

    @Override
    public ComputationGraph network() {
        return network;
    }
}
