package org.kdspark.kd.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kdspark.kd.loss.LossChecks.doubles;

import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

class KnowledgeDistillationLossTest {

    private static final ActivationIdentity IDENTITY = new ActivationIdentity();

    // 2 examples, 3 classes
    private static final double[][] S = {{1.0, 2.0, 0.5}, {0.3, -1.0, 2.0}};
    private static final double[][] Y = {{0, 1, 0}, {1, 0, 0}};
    private static final double[][] T = {{0.5, 3.0, -1.0}, {2.0, 0.0, 1.0}};

    private static double[][] withTeacher(double[][] y, double[][] t) {
        double[][] labels = new double[y.length][];
        for (int i = 0; i < y.length; i++) {
            labels[i] = new double[y[i].length + t[i].length];
            System.arraycopy(y[i], 0, labels[i], 0, y[i].length);
            System.arraycopy(t[i], 0, labels[i], y[i].length, t[i].length);
        }
        return labels;
    }

    @Test
    void scoresAndGradientsMatchTheFormulaOnATwoExampleThreeClassCase() {
        double alpha = 0.3;
        double temp = 2.0;
        KnowledgeDistillationLoss loss = new KnowledgeDistillationLoss(alpha, temp);
        INDArray labels = doubles(withTeacher(Y, T));
        INDArray scores = loss.computeScoreArray(labels, doubles(S), IDENTITY, null);
        INDArray gradient = loss.computeGradient(labels, doubles(S), IDENTITY, null);
        assertEquals(2, scores.rows());
        assertEquals(1, scores.columns());
        double total = 0;
        for (int i = 0; i < 2; i++) {
            double[] p = Naive.softmax(S[i], 1);
            double[] qs = Naive.softmax(S[i], temp);
            double[] qt = Naive.softmax(T[i], temp);
            int target = Y[i][0] == 1 ? 0 : 1;
            double ce = -Math.log(p[target]);
            double kl = 0;
            for (int k = 0; k < 3; k++) {
                kl += qt[k] * Math.log(qt[k] / qs[k]);
            }
            double expected = alpha * ce + (1 - alpha) * temp * temp * kl;
            assertEquals(expected, scores.getDouble(i, 0), 1e-12, "score of example " + i);
            total += expected;
            for (int k = 0; k < 3; k++) {
                double g = alpha * (p[k] - Y[i][k]) + (1 - alpha) * temp * (qs[k] - qt[k]);
                assertEquals(g, gradient.getDouble(i, k), 1e-12, "gradient of example " + i + " class " + k);
            }
        }
        assertEquals(total / 2, loss.computeScore(labels, doubles(S), IDENTITY, null, true), 1e-12);
        assertEquals(total, loss.computeScore(labels, doubles(S), IDENTITY, null, false), 1e-12);
    }

    @Test
    void equalLogitsEverywhereCostAlphaTimesLogOfTheClassCount() {
        // softmax of equal logits is uniform: CE = ln 3, and teacher == student so KL = 0
        KnowledgeDistillationLoss loss = new KnowledgeDistillationLoss(0.25, 3.0);
        double score = loss.computeScore(doubles(new double[][] {{0, 1, 0, 7, 7, 7}}),
                doubles(new double[][] {{2, 2, 2}}), IDENTITY, null, true);
        assertEquals(0.25 * Math.log(3), score, 1e-12);
    }

    @Test
    void alphaOneEqualsDl4jMulticlassCrossEntropyOnSoftmax() {
        KnowledgeDistillationLoss loss = new KnowledgeDistillationLoss(1.0, 4.0);
        LossMCXENT reference = new LossMCXENT();
        INDArray labels = doubles(withTeacher(Y, T));
        INDArray expectedScores = reference.computeScoreArray(doubles(Y), doubles(S), new ActivationSoftmax(), null);
        INDArray expectedGradient = reference.computeGradient(doubles(Y), doubles(S), new ActivationSoftmax(), null);
        assertTrue(expectedScores.equalsWithEps(loss.computeScoreArray(labels, doubles(S), IDENTITY, null), 1e-9));
        assertTrue(expectedGradient.equalsWithEps(loss.computeGradient(labels, doubles(S), IDENTITY, null), 1e-9));
    }

    @Test
    void labelsAsWideAsTheOutputGivePlainCrossEntropyWhateverAlpha() {
        KnowledgeDistillationLoss loss = new KnowledgeDistillationLoss(0.2, 4.0);
        LossMCXENT reference = new LossMCXENT();
        assertEquals(reference.computeScore(doubles(Y), doubles(S), new ActivationSoftmax(), null, true),
                loss.computeScore(doubles(Y), doubles(S), IDENTITY, null, true), 1e-9);
        assertTrue(reference.computeGradient(doubles(Y), doubles(S), new ActivationSoftmax(), null)
                .equalsWithEps(loss.computeGradient(doubles(Y), doubles(S), IDENTITY, null), 1e-9));
    }

    @Test
    void gradientMatchesCentralDifferencesForSeveralAlphasAndTemperatures() {
        Random rng = new Random(11);
        double[][] s = LossChecks.random(rng, 4, 5, 2.0);
        double[][] t = LossChecks.random(rng, 4, 5, 3.0);
        double[][] y = new double[4][5];
        for (int i = 0; i < 4; i++) {
            y[i][rng.nextInt(5)] = 1;
        }
        double[][] labels = withTeacher(y, t);
        for (double[] at : new double[][] {{0.0, 1.0}, {0.3, 2.0}, {0.9, 4.0}, {1.0, 0.5}, {0.5, 20.0}}) {
            LossChecks.assertGradientMatchesCentralDifferences(new KnowledgeDistillationLoss(at[0], at[1]), labels, s,
                    null);
        }
        LossChecks.assertGradientMatchesCentralDifferences(new KnowledgeDistillationLoss(0.3, 2), y, s, null);
    }

    @Test
    void maskedExamplesContributeNothingAndMaskValuesWeightTheRest() {
        KnowledgeDistillationLoss loss = new KnowledgeDistillationLoss(0.3, 2.0);
        INDArray labels = doubles(withTeacher(Y, T));
        INDArray unmasked = loss.computeScoreArray(labels, doubles(S), IDENTITY, null);
        INDArray mask = doubles(new double[][] {{0}, {0.5}});
        INDArray masked = loss.computeScoreArray(labels, doubles(S), IDENTITY, mask);
        assertEquals(0, masked.getDouble(0, 0), 0);
        assertEquals(0.5 * unmasked.getDouble(1, 0), masked.getDouble(1, 0), 1e-12);
        INDArray gradient = loss.computeGradient(labels, doubles(S), IDENTITY, mask);
        assertEquals(0, gradient.getRow(0).norm2Number().doubleValue(), 0);
        LossChecks.assertGradientMatchesCentralDifferences(loss, withTeacher(Y, T), S, mask);
    }

    @Test
    void extremeLogitsStayFinite() {
        KnowledgeDistillationLoss loss = new KnowledgeDistillationLoss(0.5, 1.0);
        double[][] s = {{1000, -1000, 0}};
        double[][] labels = {{0, 1, 0, -1000, 1000, 0}};
        double score = loss.computeScore(doubles(labels), doubles(s), IDENTITY, null, true);
        // CE = 2000, KL ~ 2000 (teacher puts all mass on class 1, student gives it log-prob -2000)
        assertEquals(0.5 * 2000 + 0.5 * 2000, score, 1e-6);
        for (double g : loss.computeGradient(doubles(labels), doubles(s), IDENTITY, null).toDoubleVector()) {
            assertTrue(Double.isFinite(g));
        }
    }

    @Test
    void gradientAgreesWithDl4jGraphGradientCheck() {
        Random rng = new Random(5);
        double[][] input = LossChecks.random(rng, 3, 4, 1.0);
        double[][] y = {{1, 0, 0}, {0, 0, 1}, {0, 1, 0}};
        double[][] labels = withTeacher(y, LossChecks.random(rng, 3, 3, 2.0));
        assertTrue(LossChecks.graphGradientCheck(new KnowledgeDistillationLoss(0.4, 3.0), 4, 3, input, labels));
    }

    @Test
    void survivesTheGraphConfigurationJsonRoundTrip() {
        KnowledgeDistillationLoss loss = new KnowledgeDistillationLoss(0.1, 6.0);
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in")
                .addLayer("logits", new DenseLayer.Builder().nIn(4).nOut(3).activation(Activation.IDENTITY).build(),
                        "in")
                .addLayer("kd", new LossLayer.Builder(loss).activation(Activation.IDENTITY).build(), "logits")
                .addLayer("out", new OutputLayer.Builder(new KnowledgeDistillationLoss()).nIn(3).nOut(3)
                        .activation(Activation.IDENTITY).build(), "logits")
                .setOutputs("kd", "out")
                .build();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        LossLayer kd = (LossLayer) ((LayerVertex) back.getVertices().get("kd")).getLayerConf().getLayer();
        assertEquals(loss, kd.getLossFn());
        BaseOutputLayer out = (BaseOutputLayer) ((LayerVertex) back.getVertices().get("out")).getLayerConf()
                .getLayer();
        assertEquals(new KnowledgeDistillationLoss(0.5, 4.0), out.getLossFn());
    }

    @Test
    void rejectsLabelsThatAreNeitherOneHotNorOneHotPlusTeacherNamingTheExpectedWidths() {
        KnowledgeDistillationLoss loss = new KnowledgeDistillationLoss();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loss.computeScore(
                doubles(new double[][] {{1, 0, 0, 1, 2}}), doubles(new double[][] {{1, 2, 3}}), IDENTITY, null, true));
        assertTrue(e.getMessage().contains("3 wide") && e.getMessage().contains("6 wide")
                && e.getMessage().contains("got 5"), e.getMessage());
    }

    @Test
    void rejectsAlphaOutsideTheUnitIntervalAndNonPositiveTemperature() {
        assertThrows(IllegalArgumentException.class, () -> new KnowledgeDistillationLoss(1.5, 4));
        assertThrows(IllegalArgumentException.class, () -> new KnowledgeDistillationLoss(-0.1, 4));
        assertThrows(IllegalArgumentException.class, () -> new KnowledgeDistillationLoss(0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> new KnowledgeDistillationLoss(0.5, Double.NaN));
    }

    @Test
    void printsItsFormulaWithValues() {
        assertEquals("0.5*CE(y,s) + 0.5*4.0^2*KL(softmax(t/4.0)||softmax(s/4.0))",
                new KnowledgeDistillationLoss(0.5, 4.0).toString());
        assertEquals("0.9*CE(y,s) + 0.1*2.5^2*KL(softmax(t/2.5)||softmax(s/2.5))",
                new KnowledgeDistillationLoss(0.9, 2.5).toString());
    }
}
