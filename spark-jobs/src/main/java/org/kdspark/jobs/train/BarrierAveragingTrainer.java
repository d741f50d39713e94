package org.kdspark.jobs.train;

import java.io.IOException;
import java.util.Arrays;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Synchronous parameter averaging on Spark's own primitives ({@code distill.trainer: barrier}): an epoch is one
 * barrier stage ({@link BarrierTrainer}). Each task fits {@code averagingFrequency} of its minibatches, then the tasks
 * sum parameters and updater state over the workers that fitted in that round ({@link WorkerGroup}: deterministic) and
 * each divides by their number; they go on until no task has minibatches left. Task 0 returns the final average to the
 * driver.
 *
 * <p>Against {@link ParameterAveragingTrainer} this saves a Spark job per averaging round (a broadcast, a task
 * launch per worker, a {@code treeAggregate}) and keeps each worker's minibatches in the order they were dealt. Each
 * round moves {@code params + updater state} floats the way {@link AllReduceTrainer} moves a gradient. Averaging Adam's moments is not Adam on the
 * averaged gradient: {@link AllReduceTrainer} does the latter.
 */
public final class BarrierAveragingTrainer extends BarrierTrainer {

    public BarrierAveragingTrainer(JavaSparkContext jsc, ComputationGraph network, Settings settings) {
        super(jsc, network, settings);
    }

    @Override
    Worker worker(Broadcast<Snapshot> start) {
        return new Averaging(start, settings);
    }

    /** Fit a round, average, until every worker is out of minibatches. */
    static final class Averaging extends Worker {
        private static final long serialVersionUID = 1L;
        private final int frequency;

        Averaging(Broadcast<Snapshot> start, Settings settings) {
            super(start, settings);
            this.frequency = settings.averagingFrequency();
        }

        @Override
        Outcome train(ComputationGraph net, MultiDataSetIterator batches, WorkerGroup group) throws IOException {
            INDArray params = net.params();
            INDArray state = net.getUpdater().getStateViewArray();
            double scoreSum = 0;
            long fitted = 0;
            boolean anyMore = true;
            while (anyMore) {
                int round = 0;
                while (round < frequency && batches.hasNext()) {
                    net.fit(batches.next());
                    scoreSum += net.score();
                    round++;
                }
                fitted += round;
                anyMore = Exchange.adoptMean(group.sum(round, batches.hasNext(), Exchange.concat(params, state)), params, state);
                if (round == frequency) {
                    // a full round: every worker still training holds this average
                    afterStep(net, fitted);
                }
            }
            return new Outcome(scoreSum, fitted, BarrierTaskContext.get().partitionId() == 0);
        }
    }

    /** A round's vector: parameters then updater state, and the mean the workers adopt from their sum. */
    static final class Exchange {

        private Exchange() {
        }

        static float[] concat(INDArray params, INDArray state) {
            float[] p = params.toFloatVector();
            if (state == null) {
                return p;
            }
            float[] s = state.toFloatVector();
            float[] all = Arrays.copyOf(p, p.length + s.length);
            System.arraycopy(s, 0, all, p.length, s.length);
            return all;
        }

        /**
         * Sets {@code params} and {@code state} to the round's sum over the workers that fitted divided by their number;
         * leaves them as they are when none did (all workers then hold the last average already). Returns whether any
         * worker has minibatches left.
         */
        static boolean adoptMean(WorkerGroup.RoundSum round, INDArray params, INDArray state) {
            if (round.workers() == 0) {
                return round.anyMore();
            }
            int n = (int) params.length();
            int m = state == null ? 0 : (int) state.length();
            float[] values = round.values();
            if (values.length != n + m) {
                throw new IllegalStateException("the workers summed " + values.length + " floats, expected " + (n + m)
                        + ": the workers' students differ");
            }
            float[] mean = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                mean[i] = values[i] / round.workers();
            }
            params.assign(Nd4j.createFromArray(Arrays.copyOfRange(mean, 0, n)).reshape(params.shape()));
            if (state != null) {
                state.assign(Nd4j.createFromArray(Arrays.copyOfRange(mean, n, mean.length)).reshape(state.shape()));
            }
            return round.anyMore();
        }
    }
}
