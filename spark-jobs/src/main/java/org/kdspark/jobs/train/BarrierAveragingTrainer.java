package org.kdspark.jobs.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Synchronous parameter averaging on Spark's own primitives ({@code distill.trainer: barrier}): an epoch is one
 * barrier stage ({@link BarrierTrainer}). Each task fits {@code averagingFrequency} of its minibatches, then sends
 * parameters and updater state to task 0, which averages them over the workers that fitted in that round, in
 * partition order (so the result is deterministic), and sends the average back; they go on until no task has
 * minibatches left. Task 0 returns the final average to the driver.
 *
 * <p>Against {@link ParameterAveragingTrainer} this saves a Spark job per averaging round (a broadcast, a task
 * launch per worker, a {@code treeAggregate}) and keeps each worker's minibatches in the order they were dealt. Task 0
 * moves {@code 2 x workers x (params + updater state)} floats a round. Averaging Adam's moments is not Adam on the
 * averaged gradient: {@link AllReduceTrainer} does the latter.
 */
public final class BarrierAveragingTrainer extends BarrierTrainer {

    public BarrierAveragingTrainer(JavaSparkContext jsc, ComputationGraph network, Settings settings) {
        super(jsc, network, settings);
    }

    @Override
    Worker worker(Broadcast<Snapshot> start) {
        return new Averaging(start, settings.batchSizePerWorker(), settings.prefetchBatches(), settings.averagingFrequency());
    }

    /** Fit a round, average, until every worker is out of minibatches. */
    static final class Averaging extends Worker {
        private static final long serialVersionUID = 1L;
        private final int frequency;

        Averaging(Broadcast<Snapshot> start, int batchSize, int prefetch, int frequency) {
            super(start, batchSize, prefetch);
            this.frequency = frequency;
        }

        @Override
        Outcome train(ComputationGraph net, MultiDataSetIterator batches, TaskStar star) throws IOException {
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
                ByteBuffer reply = star.exchange(Exchange.encode(round, batches.hasNext(), params, state), all -> {
                    boolean more = Exchange.average(all, params, state);
                    return Exchange.encode(0, more, params, state);
                });
                anyMore = Exchange.adopt(reply, params, state);
            }
            return new Outcome(scoreSum, fitted, BarrierTaskContext.get().partitionId() == 0);
        }
    }

    /**
     * A round's message: the minibatches fitted in the round, whether more are left, then parameters and updater state
     * as little-endian floats.
     */
    static final class Exchange {
        private static final int HEADER = Integer.BYTES + 1;

        private Exchange() {
        }

        static ByteBuffer encode(int fitted, boolean more, INDArray params, INDArray state) {
            float[] p = params.toFloatVector();
            float[] s = state == null ? new float[0] : state.toFloatVector();
            ByteBuffer buffer = ByteBuffer.allocate(HEADER + Float.BYTES * (p.length + s.length)).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(fitted).put((byte) (more ? 1 : 0));
            buffer.asFloatBuffer().put(p).put(s);
            return buffer.rewind();
        }

        /**
         * Sets {@code params} and {@code state} to the mean over the messages of workers that fitted in this round (in
         * list order, which is partition order); leaves them as they are when none did. Returns whether any worker has
         * minibatches left.
         */
        static boolean average(List<ByteBuffer> messages, INDArray params, INDArray state) {
            int n = (int) params.length();
            int m = state == null ? 0 : (int) state.length();
            float[] sum = new float[n + m];
            int contributors = 0;
            boolean anyMore = false;
            for (ByteBuffer message : messages) {
                ByteBuffer buffer = message.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                int fitted = buffer.getInt();
                anyMore |= buffer.get() != 0;
                if (fitted == 0) {
                    continue;
                }
                FloatBuffer floats = floats(buffer, n + m);
                for (int i = 0; i < n + m; i++) {
                    sum[i] += floats.get(i);
                }
                contributors++;
            }
            if (contributors > 0) {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] /= contributors;
                }
                set(sum, params, state);
            }
            return anyMore;
        }

        /** Sets {@code params} and {@code state} from an average sent by task 0; returns its "any worker has more" flag. */
        static boolean adopt(ByteBuffer reply, INDArray params, INDArray state) {
            ByteBuffer buffer = reply.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            buffer.getInt();
            boolean anyMore = buffer.get() != 0;
            int n = (int) params.length();
            int m = state == null ? 0 : (int) state.length();
            float[] values = new float[n + m];
            floats(buffer, n + m).get(values);
            set(values, params, state);
            return anyMore;
        }

        private static FloatBuffer floats(ByteBuffer buffer, int expected) {
            FloatBuffer floats = buffer.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            if (floats.remaining() != expected) {
                throw new IllegalStateException("a worker sent " + floats.remaining() + " floats, expected " + expected
                        + ": the workers' students differ");
            }
            return floats;
        }

        private static void set(float[] values, INDArray params, INDArray state) {
            int n = (int) params.length();
            params.assign(Nd4j.createFromArray(Arrays.copyOfRange(values, 0, n)).reshape(params.shape()));
            if (state != null) {
                state.assign(Nd4j.createFromArray(Arrays.copyOfRange(values, n, values.length)).reshape(state.shape()));
            }
        }
    }
}
