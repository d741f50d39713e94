package org.kdspark.jobs.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.kdspark.kd.train.SyncBatchNorm;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synchronous data-parallel SGD on Spark barrier tasks ({@code distill.trainer: allreduce}): every step, each worker
 * computes the gradient of its minibatch, the workers sum their gradients ({@link WorkerGroup}: around a ring, or through
 * task 0), and every worker applies the same optimizer step (Adam and all) to the same parameters. With {@code W} workers of
 * {@code b} examples a step is one step of the plain loop at batch {@code W x b}: with {@code sync_batch_norm} (the
 * default) the workers' batch-norm layers also normalise with the whole step's statistics ({@link SyncBatchNorm}, two
 * more small rounds per layer and step); without it each normalises its own {@code b} examples ("ghost" batch norm),
 * which trains a different student. The students stay identical without ever sending parameters.
 * {@code averaging_frequency} does not apply.
 *
 * <p>The exchange happens inside {@link ComputationGraph#fit}, in the listener hook DL4J calls between the backward
 * pass and the updater ({@code onGradientCalculation}): there the flattened gradient view holds each parameter's
 * gradient summed over the worker's examples (the updater divides it by the minibatch size after), and, for batch
 * normalisation's running mean and variance, the update itself. A worker replaces it with the workers' sum times its
 * own share of the step's examples, so that the updater's division yields the mean over every example of the step;
 * the running statistics, which the updater applies undivided, take the workers' mean update. Each step every worker
 * sends and receives {@code 2 (workers - 1) / workers x params} floats around the ring (the star: {@code workers - 1}
 * times the parameters through task 0), and synchronized batch norm a few more rounds of {@code 2 x channels} floats per
 * layer.
 *
 * <p>The gradient is summed once DL4J's backward pass is complete: its graph offers no hook per layer, so the rounds
 * cannot overlap the backward pass; the ring overlaps each step's sending with its receiving.
 *
 * <p>Workers whose dealt partitions differ in size: a worker out of minibatches keeps answering rounds with nothing
 * until no worker has any left (its own student then falls behind and is discarded); the driver adopts the student of
 * the lowest partition that took part in the last step.
 */
public final class AllReduceTrainer extends BarrierTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(AllReduceTrainer.class);

    /** Whether the workers synchronize batch norm: asked for and possible on this ND4J backend. */
    private final boolean syncBatchNorm;

    public AllReduceTrainer(JavaSparkContext jsc, ComputationGraph network, Settings settings) {
        super(jsc, network, settings);
        syncBatchNorm = settings.syncBatchNorm() && SyncBatchNorm.supported();
        if (settings.syncBatchNorm() && !syncBatchNorm) {
            LOG.warn("distill.sync_batch_norm: synchronized batch norm runs on ND4J's CPU backend only; on this backend each worker"
                    + " normalises its own minibatch (set distill.sync_batch_norm: false to silence this)");
        }
    }

    @Override
    Worker worker(Broadcast<Snapshot> start) {
        return new Stepping(start, settings, syncBatchNorm);
    }

    /** Step in lockstep with the other workers, one all-reduced gradient per step. */
    static final class Stepping extends Worker {
        private static final long serialVersionUID = 1L;

        private final boolean syncBatchNorm;

        Stepping(Broadcast<Snapshot> start, Settings settings, boolean syncBatchNorm) {
            super(start, settings);
            this.syncBatchNorm = syncBatchNorm;
        }

        @Override
        ComputationGraphConfiguration configure(ComputationGraphConfiguration conf) {
            return syncBatchNorm ? SyncBatchNorm.synchronize(conf) : conf;
        }

        @Override
        Outcome train(ComputationGraph net, MultiDataSetIterator batches, WorkerGroup group) throws IOException {
            SyncBatchNorm.attach(net, new StatisticsSum(group));
            GradientSum sum = new GradientSum(group, net);
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
                    afterStep(net, fitted);
                } else {
                    // out of minibatches: answer the others' rounds until they are out too
                    current = false;
                    anyMore = group.sum(0, false, new float[0]).anyMore();
                }
            }
            return new Outcome(scoreSum, fitted, current);
        }
    }

    /** The listener that replaces a worker's gradient with the step's all-reduced one before the updater runs. */
    static final class GradientSum extends BaseTrainingListener {
        private final WorkerGroup group;
        private final INDArray gradient;
        private final List<int[]> undivided;
        boolean moreAfterThis;
        boolean anyMore;

        GradientSum(WorkerGroup group, ComputationGraph net) {
            this.group = group;
            this.gradient = net.getFlattenedGradients();
            this.undivided = undividedRanges(net);
        }

        @Override
        public void onGradientCalculation(Model model) {
            int examples = (int) ((ComputationGraph) model).batchSize();
            try {
                WorkerGroup.RoundSum step = group.sum(examples, moreAfterThis, gradient.toFloatVector());
                anyMore = step.anyMore();
                adopt(step, examples, gradient, undivided);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * The {@code [offset, length]} ranges of {@code net}'s flattened gradient holding parameters whose updates DL4J's
     * updater applies as they are, not divided by the minibatch size: batch normalisation's running mean and
     * variance. Parameters and gradients share one layout, so the ranges come from the parameter views.
     */
    static List<int[]> undividedRanges(ComputationGraph net) {
        INDArray flat = net.params();
        List<int[]> ranges = new ArrayList<>();
        for (org.deeplearning4j.nn.api.Layer layer : net.getLayers()) {
            for (Map.Entry<String, INDArray> param : layer.paramTable().entrySet()) {
                if (!layer.updaterDivideByMinibatch(param.getKey())) {
                    INDArray view = param.getValue();
                    ranges.add(new int[] {Math.toIntExact(view.offset() - flat.offset()), Math.toIntExact(view.length())});
                }
            }
        }
        return ranges;
    }

    /**
     * The batch-norm rounds of a step: sums of per-channel statistics, always saying "more to come" so that a worker
     * out of minibatches, answering every round with nothing, stays in until the step's gradient round.
     */
    record StatisticsSum(WorkerGroup group) implements SyncBatchNorm.Group {
        @Override
        public SyncBatchNorm.Totals sum(long count, float[] values) {
            try {
                WorkerGroup.RoundSum round = group.sum(Math.toIntExact(count), true, values);
                return new SyncBatchNorm.Totals(round.examples(), round.values());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Sets {@code gradient} to the step's sum times {@code examples / total}: what the updater, dividing by this
     * worker's {@code examples}, turns into the mean over the step's examples. In the {@code undivided} ranges (updates
     * the updater applies undivided: batch norm's running statistics) it sets the workers' mean update instead, the
     * same on every worker whatever its share of the step.
     */
    static void adopt(WorkerGroup.RoundSum step, int examples, INDArray gradient, List<int[]> undivided) {
        float[] values = step.values();
        if (values.length != gradient.length()) {
            throw new IllegalStateException("the summed gradient has " + values.length + " floats, this worker's student "
                    + gradient.length() + ": the workers' students differ");
        }
        double share = (double) examples / step.examples();
        float[] adopted = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            adopted[i] = (float) (values[i] * share);
        }
        for (int[] range : undivided) {
            for (int i = range[0]; i < range[0] + range[1]; i++) {
                adopted[i] = values[i] / step.workers();
            }
        }
        gradient.assign(Nd4j.createFromArray(adopted).reshape(gradient.shape()));
    }
}
