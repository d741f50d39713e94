package org.kdspark.kd.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kdspark.kd.loss.LossChecks.doubles;

import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/** What every loss of the package promises: exact gradients, DL4J bookkeeping, masks, JSON, statelessness. */
class LossContractTest {

    /** A loss with an output width and a generator of matching labels for {@code rows} examples. */
    record Case(String name, ILossFunction loss, int width, BiFunction<Random, Integer, double[][]> labels) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static double[][] oneHotPlusTeacher(Random rng, int rows, int classes) {
        double[][] y = new double[rows][2 * classes];
        for (int i = 0; i < rows; i++) {
            y[i][rng.nextInt(classes)] = 1;
            for (int k = 0; k < classes; k++) {
                y[i][classes + k] = 2 * rng.nextGaussian();
            }
        }
        return y;
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("kd", new KnowledgeDistillationLoss(0.3, 3.0), 4, (r, n) -> oneHotPlusTeacher(r, n, 4)),
                new Case("dkd", new DecoupledKnowledgeDistillationLoss(1.0, 8.0, 2.0), 4,
                        (r, n) -> oneHotPlusTeacher(r, n, 4)),
                new Case("dist", new DistLoss(2.0, 1.5, 2.0), 4, (r, n) -> LossChecks.random(r, n, 4, 2.0)),
                new Case("hint", new HintLoss(0.7), 6, (r, n) -> LossChecks.random(r, n, 6, 1.0)),
                new Case("at", new AttentionTransferLoss(50.0), 6, (r, n) -> LossChecks.random(r, n, 3, 1.0)),
                new Case("sp", new SimilarityPreservingLoss(30.0), 4, (r, n) -> LossChecks.random(r, n, 5, 1.0)),
                new Case("rkd", new RelationalKnowledgeDistillationLoss(25.0, 50.0), 3,
                        (r, n) -> LossChecks.random(r, n, 4, 1.0)),
                new Case("pkt", new ProbabilisticKnowledgeTransferLoss(2.0), 4,
                        (r, n) -> LossChecks.random(r, n, 3, 1.0)),
                new Case("scaled-ce", new ScaledLoss(0.6, new KnowledgeDistillationLoss()), 4,
                        (r, n) -> oneHotPlusTeacher(r, n, 4)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesCentralDifferencesInDoublePrecision(Case c) {
        Random rng = new Random(c.name().hashCode());
        for (int trial = 0; trial < 3; trial++) {
            double[][] x = LossChecks.random(rng, 5, c.width(), 1.5);
            LossChecks.assertGradientMatchesCentralDifferences(c.loss(), c.labels().apply(rng, 5), x, null);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesCentralDifferencesWithAMask(Case c) {
        Random rng = new Random(31 + c.name().hashCode());
        INDArray mask = doubles(new double[][] {{1}, {0}, {1}, {1}, {0}});
        LossChecks.assertGradientMatchesCentralDifferences(c.loss(), c.labels().apply(rng, 5),
                LossChecks.random(rng, 5, c.width(), 1.5), mask);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientAgreesWithDl4jGraphGradientCheck(Case c) {
        Random rng = new Random(7 + c.name().hashCode());
        assertTrue(LossChecks.graphGradientCheck(c.loss(), 3, c.width(), LossChecks.random(rng, 4, 3, 1.0),
                c.labels().apply(rng, 4)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void averageScoreIsTheSumOfTheScoreArrayOverTheRows(Case c) {
        Random rng = new Random(3);
        INDArray y = doubles(c.labels().apply(rng, 4));
        INDArray x = doubles(LossChecks.random(rng, 4, c.width(), 1.0));
        ActivationIdentity id = new ActivationIdentity();
        INDArray array = c.loss().computeScoreArray(y, x, id, null);
        assertEquals(4, array.rows());
        assertEquals(1, array.columns());
        assertEquals(array.sumNumber().doubleValue(), c.loss().computeScore(y, x, id, null, false), 1e-9);
        assertEquals(array.sumNumber().doubleValue() / 4, c.loss().computeScore(y, x, id, null, true), 1e-9);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void survivesTheGraphConfigurationJsonRoundTrip(Case c) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in")
                .addLayer("features", new DenseLayer.Builder().nIn(3).nOut(c.width())
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("loss", new LossLayer.Builder(c.loss()).activation(Activation.IDENTITY).build(), "features")
                .setOutputs("loss")
                .build();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        LossLayer layer = (LossLayer) ((LayerVertex) back.getVertices().get("loss")).getLayerConf().getLayer();
        assertEquals(c.loss(), layer.getLossFn());
        assertEquals(c.loss().toString(), layer.getLossFn().toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void givesTheSameAnswerFromManyThreadsAtOnce(Case c) throws Exception {
        Random rng = new Random(9);
        INDArray y = doubles(c.labels().apply(rng, 6));
        INDArray x = doubles(LossChecks.random(rng, 6, c.width(), 1.0));
        ActivationIdentity id = new ActivationIdentity();
        INDArray expected = c.loss().computeGradient(y, x, id, null);
        List<java.util.concurrent.Callable<Boolean>> jobs = java.util.Collections.nCopies(8,
                () -> c.loss().computeGradient(y, x, id, null).equalsWithEps(expected, 0));
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            for (var f : pool.invokeAll(jobs)) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @org.junit.jupiter.api.Test
    void scaledLossMultipliesScoreAndGradientOfDl4jCrossEntropy() {
        ScaledLoss scaled = new ScaledLoss(0.25, new LossMCXENT());
        INDArray y = doubles(new double[][] {{0, 1, 0}});
        INDArray x = doubles(new double[][] {{0.2, -0.4, 1.0}});
        var softmax = new org.nd4j.linalg.activations.impl.ActivationSoftmax();
        assertEquals(0.25 * new LossMCXENT().computeScore(y, x, softmax, null, true),
                scaled.computeScore(y, x, softmax, null, true), 1e-12);
        assertTrue(new LossMCXENT().computeGradient(y, x, softmax, null).muli(0.25)
                .equalsWithEps(scaled.computeGradient(y, x, softmax, null), 1e-12));
        assertEquals("0.25*(" + new LossMCXENT() + ")", scaled.toString());
    }
}
