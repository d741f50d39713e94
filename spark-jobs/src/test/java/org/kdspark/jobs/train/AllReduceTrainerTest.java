package org.kdspark.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.AllReduceTopology;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The all-reduce trainer is synchronous SGD: two Spark workers stepping on minibatches of 8 end with the parameters
 * and Adam state of one plain loop fitting, step by step, the two workers' minibatches merged into one of 16; with
 * batch normalisation too, whose statistics the workers then share; summed around a ring or through a star.
 */
class AllReduceTrainerTest {

    private static final int FEATURES = 6;
    private static final int CLASSES = 3;

    private static ComputationGraph mlp(boolean batchNorm) {
        ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder().seed(11).updater(new Adam(0.01))
                .graphBuilder().addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(FEATURES).nOut(5).activation(Activation.TANH).build(), "in");
        if (batchNorm) {
            graph.addLayer("bn", new BatchNormalization.Builder().nOut(5).build(), "hidden");
        }
        ComputationGraphConfiguration conf = graph
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build(), batchNorm ? "bn" : "hidden")
                .setOutputs("out").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    private static MultiDataSet batch(Random random, int size) {
        INDArray x = Nd4j.create(Nd4j.defaultFloatingPointType(), size, FEATURES);
        INDArray y = Nd4j.zeros(Nd4j.defaultFloatingPointType(), size, CLASSES);
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < FEATURES; j++) {
                x.putScalar(i, j, random.nextGaussian());
            }
            y.putScalar(i, random.nextInt(CLASSES), 1.0);
        }
        return new org.nd4j.linalg.dataset.MultiDataSet(x, y);
    }

    @ParameterizedTest(name = "worker 0 with {0} minibatches, worker 1 with {1}, batch norm {2}, {3}")
    @CsvSource({"3, 3, false, RING", "3, 2, false, RING", "2, 4, false, RING", "3, 3, true, RING", "3, 2, true, RING", "2, 4, true, RING",
            "3, 2, false, STAR", "2, 4, true, STAR"})
    void twoWorkersStepLikeOnePlainLoopOnTheirMergedMinibatches(int first, int second, boolean batchNorm, AllReduceTopology topology) {
        Random random = new Random(5);
        List<List<MultiDataSet>> dealt = List.of(new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < first; i++) {
            dealt.get(0).add(batch(random, 8));
        }
        for (int i = 0; i < second; i++) {
            // the last minibatch of a partition may be smaller
            dealt.get(1).add(batch(random, i == second - 1 ? 5 : 8));
        }

        assertStepsLikeOnePlainLoop(() -> mlp(batchNorm), dealt, topology);
    }

    @Test
    void twoWorkersTrainTheConvolutionalStudentLikeOnePlainLoop() {
        // the default student: batch norm after two convolutions (rank 4) and the embedding (rank 2)
        Random random = new Random(6);
        Nd4j.getRandom().setSeed(6);
        List<List<MultiDataSet>> dealt = List.of(new ArrayList<>(), new ArrayList<>());
        for (List<MultiDataSet> worker : dealt) {
            for (int i = 0; i < 3; i++) {
                INDArray x = Nd4j.rand(Nd4j.defaultFloatingPointType(), 8, 1, 28, 28);
                INDArray y = Nd4j.zeros(Nd4j.defaultFloatingPointType(), 8, 10);
                for (int e = 0; e < 8; e++) {
                    y.putScalar(e, random.nextInt(10), 1.0);
                }
                worker.add(new org.nd4j.linalg.dataset.MultiDataSet(x, y));
            }
        }
        Supplier<ComputationGraph> student = () -> ModelZoo.build("cnn-small", Map.of(), InputSpec.FASHION_MNIST, 10, 3L,
                OutputHead.softmaxCrossEntropy()).init();
        float[] start = student.get().params().toFloatVector();
        // Adam turns float noise in near-zero gradients into steps of up to the learning rate, so single parameters
        // may differ; the distance between the two students, against how far training moved them, may not
        ComputationGraph[] synced = trainBothWays(student, dealt, true, AllReduceTopology.RING);
        assertEquals(synced[0].getIterationCount(), synced[1].getIterationCount());
        double apart = apartOverMoved(start, synced[0], synced[1]);
        assertTrue(apart < 1e-2, "synchronized batch norm: the students are " + apart + " of their movement apart");
        // the control: with each worker normalising its own minibatch the same comparison fails
        ComputationGraph[] ghost = trainBothWays(student, dealt, false, AllReduceTopology.RING);
        double ghostApart = apartOverMoved(start, ghost[0], ghost[1]);
        assertTrue(ghostApart > 3e-2, "ghost batch norm: the students are only " + ghostApart + " of their movement apart");
    }

    /** {@code |plain - spark| / |plain - start|} over the parameter vectors (Euclidean norms). */
    private static double apartOverMoved(float[] start, ComputationGraph plain, ComputationGraph spark) {
        float[] p = plain.params().toFloatVector();
        float[] s = spark.params().toFloatVector();
        double moved = 0;
        double apart = 0;
        for (int i = 0; i < start.length; i++) {
            moved += (p[i] - start[i]) * (double) (p[i] - start[i]);
            apart += (p[i] - s[i]) * (double) (p[i] - s[i]);
        }
        return Math.sqrt(apart / moved);
    }

    /**
     * Two epochs of the all-reduce trainer on the {@code dealt} minibatches against a plain loop fitting, step by
     * step, the workers' minibatches merged: the same parameters, Adam moments and step count.
     */
    private static void assertStepsLikeOnePlainLoop(Supplier<ComputationGraph> student, List<List<MultiDataSet>> dealt,
            AllReduceTopology topology) {
        ComputationGraph[] ends = trainBothWays(student, dealt, true, topology);
        ComputationGraph plain = ends[0];
        ComputationGraph trained = ends[1];
        assertEquals(plain.getIterationCount(), trained.getIterationCount(), "one optimizer step per merged minibatch");
        assertClose(plain.params().toFloatVector(), trained.params().toFloatVector(), "parameters");
        assertClose(plain.getUpdater().getStateViewArray().toFloatVector(), trained.getUpdater().getStateViewArray().toFloatVector(),
                "Adam's moments");
    }

    /** The plain loop's student and the all-reduce trainer's after two epochs on {@code dealt}. */
    private static ComputationGraph[] trainBothWays(Supplier<ComputationGraph> student, List<List<MultiDataSet>> dealt, boolean syncBatchNorm,
            AllReduceTopology topology) {
        ComputationGraph plain = student.get();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
        JavaRDD<MultiDataSet> rdd = jsc.parallelize(List.of(0, 1), 2).mapPartitionsWithIndex((index, ignored) -> dealt.get(index).iterator(), true);
        AllReduceTrainer trainer = new AllReduceTrainer(jsc, student.get(), new EpochTrainer.Settings(2, 8, 1, 2, 1L, syncBatchNorm, topology));
        int steps = Math.max(dealt.get(0).size(), dealt.get(1).size());
        // two epochs: the second starts from the driver's student, Adam's moments and its step count
        for (int epoch = 1; epoch <= 2; epoch++) {
            for (int step = 0; step < steps; step++) {
                List<MultiDataSet> parts = new ArrayList<>();
                for (List<MultiDataSet> worker : dealt) {
                    if (step < worker.size()) {
                        parts.add(worker.get(step));
                    }
                }
                plain.fit(org.nd4j.linalg.dataset.MultiDataSet.merge(parts));
            }
            plain.incrementEpochCount();
            double score = trainer.fitEpoch(rdd, epoch);
            assertTrue(Double.isFinite(score) && score > 0, "mean training score " + score);
        }
        return new ComputationGraph[] {plain, trainer.network()};
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]) / Math.max(1e-3, Math.abs(expected[i])));
        }
        // only the order of float sums differs (one GEMM over 16 examples against two over 8, added)
        assertTrue(max < 1e-4, what + ": max relative difference " + max);
    }

    @Test
    void ndFourJsThreadCapsHoldWhileAnyTaskRunsAndAreRestoredAfterTheLast() {
        int loops = Nd4j.getEnvironment().maxMasterThreads();
        int blas = Nd4j.factory().blas().getMaxThreads();
        int openMp = BarrierTrainer.TaskThreads.openMpThreads();
        assertTrue(openMp > 1, "the surefire JVM runs with OMP_NUM_THREADS=2: " + openMp);
        BarrierTrainer.TaskThreads.enter(1);
        BarrierTrainer.TaskThreads.enter(1);
        assertEquals(1, Nd4j.getEnvironment().maxMasterThreads());
        assertEquals(1, Nd4j.factory().blas().getMaxThreads());
        assertEquals(1, BarrierTrainer.TaskThreads.openMpThreads());
        BarrierTrainer.TaskThreads.exit();
        assertEquals(1, Nd4j.getEnvironment().maxMasterThreads(), "one task still runs");
        BarrierTrainer.TaskThreads.exit();
        assertEquals(loops, Nd4j.getEnvironment().maxMasterThreads(), "the driver gets its threads back");
        assertEquals(blas, Nd4j.factory().blas().getMaxThreads());
        assertEquals(openMp, BarrierTrainer.TaskThreads.openMpThreads());
    }

    @Test
    void eachTaskThreadCapsItsOwnOpenMpRegions() throws Exception {
        int driver = BarrierTrainer.TaskThreads.openMpThreads();
        BarrierTrainer.TaskThreads.enter(1);
        try {
            // a second task on another thread of the same JVM (local mode): its OpenMP cap is its own to set
            int[] inTask = new int[2];
            Thread other = new Thread(() -> {
                inTask[0] = BarrierTrainer.TaskThreads.openMpThreads();
                BarrierTrainer.TaskThreads.enter(1);
                inTask[1] = BarrierTrainer.TaskThreads.openMpThreads();
                BarrierTrainer.TaskThreads.exit();
            });
            other.start();
            other.join();
            assertEquals(driver, inTask[0], "a new thread starts at OMP_NUM_THREADS");
            assertEquals(1, inTask[1]);
            assertEquals(1, BarrierTrainer.TaskThreads.openMpThreads(), "the other task's exit leaves this one's cap");
        } finally {
            BarrierTrainer.TaskThreads.exit();
        }
        assertEquals(driver, BarrierTrainer.TaskThreads.openMpThreads());
    }

    @Test
    void theUndividedRangesAreBatchNormsRunningStatistics() {
        ComputationGraph net = mlp(true);
        List<int[]> ranges = AllReduceTrainer.undividedRanges(net);
        INDArray marked = Nd4j.zeros(net.params().dataType(), net.params().length());
        for (int[] r : ranges) {
            marked.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(r[0], r[0] + r[1])).assign(1);
        }
        net.setParams(marked);
        assertEquals(5, net.getParam("bn_mean").sumNumber().intValue());
        String spread = net.paramTable().containsKey("bn_log10stdev") ? "bn_log10stdev" : "bn_var";
        assertEquals(5, net.getParam(spread).sumNumber().intValue());
        assertEquals(10, marked.sumNumber().intValue(), "nothing else: " + net.paramTable().keySet());
        assertTrue(AllReduceTrainer.undividedRanges(mlp(false)).isEmpty());
    }

    @Test
    void eachWorkerScalesTheSumByItsShareAndTakesTheMeanOfRunningStatistics() {
        // two workers contributed 8 and 4 examples
        WorkerGroup.RoundSum step = new WorkerGroup.RoundSum(12, 2, true, new float[] {4, 8, 30});
        INDArray gradient = Nd4j.createFromArray(0f, 0f, 0f);
        AllReduceTrainer.adopt(step, 8, gradient, List.of(new int[] {2, 1}));
        // sum {4, 8} over 12 examples, the updater will divide by this worker's 8; the third value is an update the
        // updater applies undivided (a running statistic): the two workers' mean
        assertArrayEquals(new float[] {4f * 8 / 12, 8f * 8 / 12, 15f}, gradient.toFloatVector(), 1e-6f);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> AllReduceTrainer.adopt(new WorkerGroup.RoundSum(8, 1, false, new float[] {1, 2}), 8, gradient, List.of()));
        assertTrue(e.getMessage().contains("students differ"), e.getMessage());
    }
}
