package org.kdspark.kd.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.zoo.ModelZoo;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;

/**
 * Trains a single-input, single-output {@link ComputationGraph} (a zoo model) in this JVM on a
 * {@link LabeledImages} block, and evaluates it through its {@value ModelZoo#LOGITS} vertex.
 *
 * <p>Each epoch visits every example once in an order drawn from {@code seed} and the epoch number only, so two
 * runs with the same seed see the same batches in the same order whatever their labels (a hard-label baseline
 * and a KD student can be compared example for example). Labels come from a {@link LabelSource}. After each
 * epoch the graph's epoch counter is incremented (epoch-based learning-rate schedules depend on it) and the
 * {@link ProgressListener} is called.
 */
public final class LocalTrainer {

    /**
     * @param epochs    passes over the data
     * @param batchSize examples per minibatch (the last one of an epoch may be smaller)
     * @param seed      seed of the shuffling and augmentation
     * @param augmenter applied to every training minibatch's pixels
     */
    public record Options(int epochs, int batchSize, long seed, BatchAugmenter augmenter) {
        public Options {
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
            }
            Objects.requireNonNull(augmenter, "augmenter");
        }

        public Options(int epochs, int batchSize, long seed) {
            this(epochs, batchSize, seed, BatchAugmenter.NONE);
        }
    }

    /**
     * What one epoch did.
     *
     * @param epoch             1-based
     * @param meanLoss          mean over the epoch's minibatches of the network score (loss + regularisation)
     * @param examples          examples seen in the epoch
     * @param seconds           wall time of the epoch
     * @param elapsedSeconds    wall time since training started
     */
    public record EpochStats(int epoch, double meanLoss, long examples, double seconds, double elapsedSeconds) {
        public double examplesPerSecond() {
            return examples / seconds;
        }

        @Override
        public String toString() {
            return String.format("epoch %d: loss %.4f, %d examples in %.1f s (%.0f ex/s), elapsed %.1f s",
                    epoch, meanLoss, examples, seconds, examplesPerSecond(), elapsedSeconds);
        }
    }

    /** Called after every epoch, on the training thread. */
    @FunctionalInterface
    public interface ProgressListener {
        void onEpoch(EpochStats stats);

        ProgressListener NONE = s -> { };
    }

    private LocalTrainer() {
    }

    /**
     * Trains {@code graph} in place.
     *
     * @return the statistics of every epoch
     */
    public static List<EpochStats> fit(ComputationGraph graph, LabeledImages data, LabelSource labels, Options options,
                                       ProgressListener listener) {
        if (graph.getNumInputArrays() != 1 || graph.getNumOutputArrays() != 1) {
            throw new IllegalArgumentException("LocalTrainer trains single-input single-output graphs; this one has "
                    + graph.getNumInputArrays() + " inputs and " + graph.getNumOutputArrays() + " outputs");
        }
        InputSpec spec = data.spec();
        int n = data.count();
        int per = spec.valuesPerImage();
        byte[] batchPixels = new byte[options.batchSize() * per];
        List<EpochStats> stats = new ArrayList<>();
        long start = System.nanoTime();
        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            long t0 = System.nanoTime();
            int[] order = epochOrder(n, options.seed(), epoch);
            SplittableRandom augmentRandom = new SplittableRandom(mix(options.seed() ^ 0x5DEECE66DL, epoch));
            double lossSum = 0;
            int batches = 0;
            for (int from = 0; from < n; from += options.batchSize()) {
                int count = Math.min(options.batchSize(), n - from);
                int[] indices = new int[count];
                System.arraycopy(order, from, indices, 0, count);
                for (int i = 0; i < count; i++) {
                    System.arraycopy(data.pixels(), indices[i] * per, batchPixels, i * per, per);
                }
                options.augmenter().augment(batchPixels, count, spec, augmentRandom);
                INDArray x = spec.toInput(batchPixels, 0, count);
                INDArray y = labels.labels(indices);
                graph.fit(new MultiDataSet(x, y));
                lossSum += graph.score();
                batches++;
            }
            graph.incrementEpochCount();
            long t1 = System.nanoTime();
            EpochStats s = new EpochStats(epoch, lossSum / batches, n, (t1 - t0) / 1e9, (t1 - start) / 1e9);
            stats.add(s);
            listener.onEpoch(s);
        }
        return stats;
    }

    /**
     * The permutation of {@code 0..n-1} used for epoch {@code epoch} (1-based) under {@code seed}: a function of
     * those three numbers only.
     */
    public static int[] epochOrder(int n, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(mix(seed, epoch));
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static long mix(long seed, int epoch) {
        return seed * 0x9E3779B97F4A7C15L + epoch;
    }
}
