package org.kdspark.kd.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.eval.Metrics;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;
import org.nd4j.linalg.api.ndarray.INDArray;

class LocalTrainerTest {

    static final InputSpec SPEC = new InputSpec(1, 8, 8);

    /** Class 0: bright left half; class 1: bright right half; class 2: bright top half; plus noise. */
    static LabeledImages halves(int n, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * 64];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    boolean on = switch (labels[i]) {
                        case 0 -> x < 4;
                        case 1 -> x >= 4;
                        default -> y < 4;
                    };
                    int v = (on ? 160 : 40) + r.nextInt(80);
                    px[i * 64 + y * 8 + x] = (byte) v;
                }
            }
        }
        return new LabeledImages(n, SPEC, px, labels);
    }

    @Test
    void learnsASeparableProblemWellAboveChance() {
        LabeledImages train = halves(300, 1);
        LabeledImages test = halves(90, 2);
        ComputationGraph net = ModelZoo.build("cnn-small", Map.of("learning_rate", 0.01), SPEC, 3, 5L,
                OutputHead.softmaxCrossEntropy()).init();
        List<LocalTrainer.EpochStats> seen = new ArrayList<>();
        List<LocalTrainer.EpochStats> stats = LocalTrainer.fit(net, train, LabelSource.oneHot(train, 3),
                new LocalTrainer.Options(4, 32, 11L), seen::add);
        assertEquals(stats, seen, "listener called once per epoch");
        assertEquals(4, stats.size());
        assertEquals(4, net.getEpochCount());
        assertTrue(stats.get(3).meanLoss() < stats.get(0).meanLoss(), stats.toString());
        assertTrue(stats.get(0).examplesPerSecond() > 0);
        double acc = Metrics.accuracy(GraphOutputs.activations(net, test, GraphOutputs.LOGITS, 64), test.labels());
        assertTrue(acc > 0.9, "accuracy " + acc);
    }

    @Test
    void epochOrderIsASeededPermutationThatChangesEachEpoch() {
        int[] a = LocalTrainer.epochOrder(100, 42L, 1);
        assertArrayEquals(a, LocalTrainer.epochOrder(100, 42L, 1));
        assertFalse(Arrays.equals(a, LocalTrainer.epochOrder(100, 42L, 2)));
        assertFalse(Arrays.equals(a, LocalTrainer.epochOrder(100, 43L, 1)));
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 100; i++) {
            assertEquals(i, sorted[i]);
        }
    }

    @Test
    void labelsCanCarryTargetsAfterTheOneHot() {
        LabeledImages data = halves(3, 1);
        float[][] targets = {{1f, 2f}, {3f, 4f}, {5f, 6f}};
        INDArray y = LabelSource.oneHotAndTargets(data, 3, targets).labels(new int[] {2, 0});
        assertArrayEquals(new long[] {2, 5}, y.shape());
        assertArrayEquals(new float[] {0, 0, 1, 5, 6}, y.getRow(0).toFloatVector());
        assertArrayEquals(new float[] {1, 0, 0, 1, 2}, y.getRow(1).toFloatVector());
    }

    @Test
    void shiftAugmentationMovesPixelsAndKeepsTheOthersDark() {
        byte[] px = new byte[64];
        px[3 * 8 + 3] = (byte) 200;
        BatchAugmenter.shiftAndFlip(2, false).augment(px, 1, SPEC, new java.util.SplittableRandom(3));
        int lit = 0;
        for (byte b : px) {
            if (b != 0) {
                lit++;
            }
        }
        assertEquals(1, lit);
    }
}
