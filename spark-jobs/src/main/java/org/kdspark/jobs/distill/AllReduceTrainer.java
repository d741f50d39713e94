package org.kdspark.jobs.distill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Synchronous data-parallel SGD on Spark barrier tasks ({@code distill.trainer: allreduce}): every step, each worker
 * computes the gradient of its minibatch, task 0 sums the workers' gradients in partition order and sends the sum back,
 * and every worker applies the same optimizer step (Adam and all) to the same parameters. With {@code W} workers of
 * {@code b} examples a step is one step of the plain loop at batch {@code W x b}, except that batch normalisation
 * normalises each worker's {@code b} examples by their own statistics; the students stay identical without ever
 * sending parameters. {@code averaging_frequency} does not apply.
 *
 * <p>The exchange happens inside {@link ComputationGraph#fit}, in the listener hook DL4J calls between the backward
 * pass and the updater ({@code onGradientCalculation}): there the flattened gradient view holds each parameter's
 * gradient summed over the worker's examples (the updater divides it by the minibatch size after), and, for batch
 * normalisation's running mean and variance, the update itself. A worker replaces it with the workers' sum times its
 * own share of the step's examples, so that the updater's division yields the mean over every example of the step.
 * Each step moves {@code 2 x workers x params} floats through task 0.
 *
 * <p>Workers whose dealt partitions differ in size: a worker out of minibatches keeps answering rounds with nothing
 * until no worker has any left (its own student then falls behind and is discarded); the driver adopts the student of
 * the lowest partition that took part in the last step.
 */
public final class AllReduceTrainer extends BarrierTrainer {

    public AllReduceTrainer(JavaSparkContext jsc, ComputationGraph network, Settings settings) {
        super(jsc, network, settings);
    }

    @Override
    Worker worker(Broadcast<Snapshot> start) {
        return new Stepping(start, settings.batchSizePerWorker(), settings.prefetchBatches());
    }

    /** Step in lockstep with the other workers, one all-reduced gradient per step. */
    static final class Stepping extends Worker {
        private static final long serialVersionUID = 1L;

        Stepping(Broadcast<Snapshot> start, int batchSize, int prefetch) {
            super(start, batchSize, prefetch);
        }

        @Override
        Outcome train(ComputationGraph net, MultiDataSetIterator batches, TaskStar star) throws IOException {
            GradientSum sum = new GradientSum(star, net.getFlattenedGradients());
            net.setListeners(sum);
            double scoreSum = 0;
            long fitted = 0;
            boolean anyMore = true;
            boolean current = true;
            while (anyMore) {
                if (batches.hasNext()) {
                    org.nd4j.linalg.dataset.api.MultiDataSet batch = batches.next();
                    sum.moreAfterThis = batches.hasNext();
                    net.fit(batch);
                    scoreSum += net.score();
                    fitted++;
                    anyMore = sum.anyMore;
                } else {
                    // out of minibatches: answer the others' rounds until they are out too
                    current = false;
                    anyMore = Rounds.anyMore(star.exchange(Rounds.idle(), Rounds::sum));
                }
            }
            return new Outcome(scoreSum, fitted, current);
        }
    }

    /** The listener that replaces a worker's gradient with the step's all-reduced one before the updater runs. */
    static final class GradientSum extends BaseTrainingListener {
        private final TaskStar star;
        private final INDArray gradient;
        boolean moreAfterThis;
        boolean anyMore;

        GradientSum(TaskStar star, INDArray gradient) {
            this.star = star;
            this.gradient = gradient;
        }

        @Override
        public void onGradientCalculation(Model model) {
            int examples = (int) ((ComputationGraph) model).batchSize();
            try {
                ByteBuffer reply = star.exchange(Rounds.encode(examples, moreAfterThis, gradient.toFloatVector()), Rounds::sum);
                anyMore = Rounds.anyMore(reply);
                Rounds.adopt(reply, examples, gradient);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * A step's messages: the worker's example count, whether it has another minibatch, then its gradient as
     * little-endian floats (none when it had no minibatch). Task 0's reply has the same layout: the step's total
     * examples, whether any worker has more, the summed gradient.
     */
    static final class Rounds {
        private static final int HEADER = Integer.BYTES + 1;

        private Rounds() {
        }

        static ByteBuffer encode(int examples, boolean more, float[] gradient) {
            ByteBuffer buffer = ByteBuffer.allocate(HEADER + Float.BYTES * gradient.length).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(examples).put((byte) (more ? 1 : 0));
            buffer.asFloatBuffer().put(gradient);
            return buffer.rewind();
        }

        /** The message of a worker out of minibatches. */
        static ByteBuffer idle() {
            return encode(0, false, new float[0]);
        }

        /** Task 0's combination: the gradients summed in partition order, the examples counted. */
        static ByteBuffer sum(List<ByteBuffer> messages) {
            float[] total = null;
            int examples = 0;
            boolean anyMore = false;
            for (ByteBuffer message : messages) {
                ByteBuffer buffer = message.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                int n = buffer.getInt();
                anyMore |= buffer.get() != 0;
                if (n == 0) {
                    continue;
                }
                FloatBuffer floats = buffer.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                if (total == null) {
                    total = new float[floats.remaining()];
                } else if (floats.remaining() != total.length) {
                    throw new IllegalStateException("a worker sent a gradient of " + floats.remaining() + " floats, another of " + total.length
                            + ": the workers' students differ");
                }
                for (int i = 0; i < total.length; i++) {
                    total[i] += floats.get(i);
                }
                examples += n;
            }
            return encode(examples, anyMore, total == null ? new float[0] : total);
        }

        static boolean anyMore(ByteBuffer reply) {
            return reply.get(Integer.BYTES) != 0;
        }

        /**
         * Sets {@code gradient} to the reply's sum times {@code examples / total}: what the updater, dividing by this
         * worker's {@code examples}, turns into the mean over the step's examples.
         */
        static void adopt(ByteBuffer reply, int examples, INDArray gradient) {
            ByteBuffer buffer = reply.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int total = buffer.getInt();
            buffer.get();
            FloatBuffer floats = buffer.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            if (floats.remaining() != gradient.length()) {
                throw new IllegalStateException("the summed gradient has " + floats.remaining() + " floats, this worker's student "
                        + gradient.length() + ": the workers' students differ");
            }
            float[] values = new float[floats.remaining()];
            floats.get(values);
            gradient.assign(Nd4j.createFromArray(values).reshape(gradient.shape()).muli((double) examples / total));
        }
    }
}
