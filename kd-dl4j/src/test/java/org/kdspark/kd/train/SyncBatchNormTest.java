package org.kdspark.kd.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;
import org.kdspark.kd.zoo.ZooModel;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class SyncBatchNormTest {

    private static final int BATCH = 16;
    private static final ZooModel STUDENT = ModelZoo.build("cnn-small", Map.of(), InputSpec.FASHION_MNIST, 10, 3L, OutputHead.softmaxCrossEntropy());

    /** Random images and one-hot labels. */
    private static INDArray[] batch(long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, BATCH, 1, 28, 28);
        INDArray y = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, BATCH, 10);
        for (int i = 0; i < BATCH; i++) {
            y.putScalar(i, (i * 7) % 10, 1f);
        }
        return new INDArray[] {x, y};
    }

    /** The network of {@link #STUDENT} with synchronized batch norm, with {@code params}. */
    private static ComputationGraph synchronizedCopy(INDArray params) {
        ComputationGraph net = new ComputationGraph(SyncBatchNorm.synchronize(STUDENT.conf()));
        net.init(params.dup(), true);
        return net;
    }

    /** The per-variable gradients after one forward and backward pass, before any updater. */
    private static Map<String, INDArray> gradients(ComputationGraph net, INDArray x, INDArray y) {
        net.setInputs(x);
        net.setLabels(y);
        net.computeGradientAndScore();
        Map<String, INDArray> out = new java.util.TreeMap<>();
        net.gradient().gradientForVariable().forEach((k, v) -> out.put(k, v.dup()));
        return out;
    }

    private static boolean runningStatistic(String variable) {
        return variable.endsWith("_mean") || variable.endsWith("_var") || variable.endsWith("_log10stdev");
    }

    private static void assertClose(INDArray expected, INDArray actual, double relative, String what) {
        double scale = Math.max(1e-3, expected.amaxNumber().doubleValue());
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff <= relative * scale, what + ": max difference " + diff + " against a scale of " + scale);
    }

    @Test
    void synchronizingKeepsTheParameterLayoutAndConvertsEveryBatchNorm() {
        ComputationGraph plain = STUDENT.init();
        ComputationGraph sync = synchronizedCopy(plain.params());
        assertEquals(3, SyncBatchNorm.attach(sync, (count, values) -> new SyncBatchNorm.Totals(count, values)),
                "cnn-small has batch norm after both convolutions and the embedding");
        assertEquals(plain.params().length(), sync.params().length());
        for (String name : List.of("block1_conv1_bn", "block2_conv1_bn", "embedding_bn")) {
            assertEquals(SyncBatchNorm.Layer.class, sync.getLayer(name).getClass(), name);
            assertEquals(plain.getLayer(name).getParam("mean"), sync.getLayer(name).getParam("mean"), name);
        }
        assertEquals(0, SyncBatchNorm.attach(plain, (count, values) -> null), "the original configuration is left as it was");

        ComputationGraphConfiguration trained = STUDENT.conf().clone();
        trained.setIterationCount(42);
        trained.setEpochCount(3);
        ComputationGraphConfiguration copy = SyncBatchNorm.synchronize(trained);
        assertEquals(42, copy.getIterationCount(), "Adam's bias correction goes on from the step count");
        assertEquals(3, copy.getEpochCount());
    }

    @Test
    void aGroupOfOneTrainsAsDl4jBatchNorm() {
        INDArray[] b = batch(11);
        assertGroupOfOneTrainsAsDl4j(STUDENT.init(), b[0], b[1]);
    }

    @Test
    void aGroupOfOneTrainsAsDl4jBatchNormChannelsLastWithAPlainVariance() {
        // the other layout and setting the synchronized passes read: NHWC activations, the running variance kept as a
        // variance instead of log10(std) (DL4J's own layer cannot train with gamma and beta locked: the comparison
        // cannot cover that setting)
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).updater(new Adam(1e-3)).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(8, 8, 2, CNN2DFormat.NHWC))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).hasBias(false).dataFormat(CNN2DFormat.NHWC)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("conv_bn", new BatchNormalization.Builder().dataFormat(CNN2DFormat.NHWC).useLogStd(false).build(), "conv")
                .addLayer("dense", new DenseLayer.Builder().nOut(6).activation(Activation.TANH).build(), "conv_bn")
                .addLayer("dense_bn", new BatchNormalization.Builder().build(), "dense")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build(), "dense_bn")
                .setOutputs("out")
                .build();
        ComputationGraph plain = new ComputationGraph(conf);
        plain.init();
        Nd4j.getRandom().setSeed(13);
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, BATCH, 8, 8, 2).muli(3).addi(1);
        INDArray y = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, BATCH, 3);
        for (int i = 0; i < BATCH; i++) {
            y.putScalar(i, i % 3, 1f);
        }
        assertGroupOfOneTrainsAsDl4j(plain, x, y);
    }

    /** One worker with a group of one computes DL4J's gradients, score and inference output on {@code x}. */
    private static void assertGroupOfOneTrainsAsDl4j(ComputationGraph plain, INDArray x, INDArray y) {
        ComputationGraph sync = new ComputationGraph(SyncBatchNorm.synchronize(plain.getConfiguration()));
        sync.init(plain.params().dup(), true);
        assertTrue(SyncBatchNorm.attach(sync, (count, values) -> new SyncBatchNorm.Totals(count, values)) > 0);
        Map<String, INDArray> expected = gradients(plain, x, y);
        Map<String, INDArray> actual = gradients(sync, x, y);
        assertEquals(expected.keySet(), actual.keySet());
        for (String v : expected.keySet()) {
            assertClose(expected.get(v), actual.get(v), 1e-4, v);
        }
        assertEquals(plain.score(), sync.score(), 1e-5);
        // inference uses the running statistics, as DL4J's layer does
        assertClose(plain.outputSingle(x), sync.outputSingle(x), 1e-6, "inference output");
    }

    @Test
    void attachingRefusesANetworkThatIsNotFloat() {
        ComputationGraphConfiguration conf = SyncBatchNorm.synchronize(STUDENT.conf());
        conf.setDataType(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SyncBatchNorm.attach(net, (count, values) -> new SyncBatchNorm.Totals(count, values)));
        assertTrue(e.getMessage().contains("float networks"), e.getMessage());
    }

    @Test
    void twoWorkersOnHalvesComputeTheGradientOfTheWholeBatch() throws Exception {
        INDArray[] b = batch(12);
        ComputationGraph plain = STUDENT.init();
        Map<String, INDArray> whole = gradients(plain, b[0], b[1]);

        CyclicBarrier barrier = new CyclicBarrier(2);
        List<float[]> posted = new ArrayList<>(List.of(new float[0], new float[0]));
        long[] counts = new long[2];
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Map<String, INDArray>>> halves = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int worker = w;
                halves.add(pool.submit(() -> {
                    ComputationGraph net = synchronizedCopy(plain.params());
                    SyncBatchNorm.attach(net, (count, values) -> {
                        try {
                            posted.set(worker, values);
                            counts[worker] = count;
                            barrier.await();
                            float[] sum = new float[values.length];
                            for (float[] p : posted) {
                                for (int i = 0; i < sum.length; i++) {
                                    sum[i] += p[i];
                                }
                            }
                            long total = counts[0] + counts[1];
                            barrier.await(); // nobody posts the next round before both have read this one
                            return new SyncBatchNorm.Totals(total, sum);
                        } catch (InterruptedException | BrokenBarrierException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    INDArray rows = b[0].get(NDArrayIndex.interval(worker * BATCH / 2, (worker + 1) * BATCH / 2)).dup();
                    INDArray labels = b[1].get(NDArrayIndex.interval(worker * BATCH / 2, (worker + 1) * BATCH / 2)).dup();
                    return gradients(net, rows, labels);
                }));
            }
            Map<String, INDArray> first = halves.get(0).get();
            Map<String, INDArray> second = halves.get(1).get();
            for (String v : whole.keySet()) {
                if (runningStatistic(v)) {
                    // both workers move the running statistics towards the whole batch's
                    assertClose(whole.get(v), first.get(v), 1e-4, v + " (first worker)");
                    assertClose(whole.get(v), second.get(v), 1e-4, v + " (second worker)");
                } else {
                    // DL4J's gradients are sums over examples: the workers' add up to the whole batch's
                    assertClose(whole.get(v), first.get(v).add(second.get(v)), 1e-4, v);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void withoutAGroupEachWorkerNormalisesItsOwnHalf() {
        // the control: unsynchronized halves do not add up to the whole batch's gradient
        INDArray[] b = batch(12);
        ComputationGraph plain = STUDENT.init();
        Map<String, INDArray> whole = gradients(plain, b[0], b[1]);
        ComputationGraph half = STUDENT.init();
        Map<String, INDArray> first = gradients(half, b[0].get(NDArrayIndex.interval(0, BATCH / 2)).dup(), b[1].get(NDArrayIndex.interval(0, BATCH / 2)).dup());
        Map<String, INDArray> second = gradients(half, b[0].get(NDArrayIndex.interval(BATCH / 2, BATCH)).dup(), b[1].get(NDArrayIndex.interval(BATCH / 2, BATCH)).dup());
        String conv = "block1_conv1_conv_W";
        double diff = whole.get(conv).sub(first.get(conv).add(second.get(conv))).amaxNumber().doubleValue();
        assertTrue(diff > 1e-2 * whole.get(conv).amaxNumber().doubleValue(), "ghost batch norm changes the gradient: " + diff);
    }
}
