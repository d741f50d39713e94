package org.kdspark.kd.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kdspark.kd.loss.LossChecks.doubles;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;

class DistLossTest {

    private static final ActivationIdentity ID = new ActivationIdentity();

    @Test
    void averageScoreIsTheInterAndIntraPearsonDistanceOfTheBatch() {
        double[][] s = {{1.0, 0.2, -0.5}, {0.3, 1.4, 0.0}, {-1.0, 0.1, 2.0}};
        double[][] t = {{2.0, -0.3, 0.1}, {0.0, 1.0, 0.5}, {0.4, 0.2, 1.5}};
        double temp = 2.0;
        double beta = 1.5;
        double gamma = 0.5;
        double[][] ys = new double[3][];
        double[][] yt = new double[3][];
        for (int i = 0; i < 3; i++) {
            ys[i] = Naive.softmax(s[i], temp);
            yt[i] = Naive.softmax(t[i], temp);
        }
        double inter = 0;
        for (int i = 0; i < 3; i++) {
            inter += (1 - Naive.pearson(ys[i], yt[i])) / 3;
        }
        double intra = 0;
        for (int j = 0; j < 3; j++) {
            double[] cs = {ys[0][j], ys[1][j], ys[2][j]};
            double[] ct = {yt[0][j], yt[1][j], yt[2][j]};
            intra += (1 - Naive.pearson(cs, ct)) / 3;
        }
        double expected = temp * temp * (beta * inter + gamma * intra);
        assertEquals(expected, new DistLoss(beta, gamma, temp).computeScore(doubles(t), doubles(s), ID, null, true),
                1e-12);
    }

    @Test
    void identicalStudentAndTeacherCostNothing() {
        double[][] s = {{1.0, 0.2, -0.5}, {0.3, 1.4, 0.0}};
        double score = new DistLoss().computeScore(doubles(s), doubles(s), ID, null, true);
        // nothing but the 1e-8 of the authors' correlation: each term costs 1e-8 / (|u~|^2 + 1e-8)
        double[][] y = {Naive.softmax(s[0], 1), Naive.softmax(s[1], 1)};
        double epsilonShare = (2 - Naive.pearson(y[0], y[0]) - Naive.pearson(y[1], y[1])) / 2;
        for (int j = 0; j < 3; j++) {
            double[] column = {y[0][j], y[1][j]};
            epsilonShare += (1 - Naive.pearson(column, column)) / 3;
        }
        assertEquals(epsilonShare, score, 1e-12);
        assertEquals(0, score, 1e-4);
    }

    /**
     * Logits of magnitude ~1e3 at T = 8 leave most probabilities below 1e-10, where the 1e-8 in the authors'
     * denominator dominates {@code |u~| |v~|}. Expected values: torch float64 autograd of the authors' DIST, printed
     * by src/test/resources/dist/dist_golden.py (case "saturated").
     */
    @Test
    void saturatedPredictionsMatchTheAuthorsCodeInLossAndGradient() {
        double[][] s = {
            {1000.0, -800.0, 950.0, -1200.0, 300.0},
            {-700.0, 1100.0, 400.0, -900.0, 1050.0},
            {850.0, 900.0, -1000.0, 200.0, -600.0},
            {-1150.0, -300.0, 700.0, 1000.0, -950.0}};
        double[][] t = {
            {1200.0, -500.0, 1100.0, -1000.0, 100.0},
            {-900.0, 1000.0, 600.0, -1100.0, 980.0},
            {700.0, 1050.0, -800.0, 400.0, -700.0},
            {-1000.0, -200.0, 900.0, 1150.0, -1200.0}};
        double expectedLoss = 8.390810700462822;
        double[][] expectedGradient = {
            {0.36330317813514745, 6.959601760749073e-99, -0.3633031781351475, 1.3423330793146027e-120,
                3.8662682587390795e-39},
            {-2.524149899482025e-100, 0.0005626624492800163, 6.273154226457564e-37, -3.139109782185855e-111,
                -0.0005626624492800123},
            {0.00013364594769087776, -0.00013364594769088337, 4.5063062508100044e-102, 6.15399110475854e-40,
                3.2250795036593215e-83},
            {-2.6410154683713383e-120, 1.6285447456467493e-78, 3.2593341439135035e-15, -3.2593341428145296e-15,
                3.490864013705225e-108}};
        DistLoss loss = new DistLoss(1.0, 1.0, 8.0);
        assertEquals(expectedLoss, loss.computeScore(doubles(t), doubles(s), ID, null, true), 1e-12 * expectedLoss);
        assertMatchesBatchGradient(expectedGradient, loss.computeGradient(doubles(t), doubles(s), ID, null));
    }

    /**
     * A minibatch of one: each intra-class column centres to zero, so its correlation is 0 / (0 + 1e-8) = 0 and it
     * adds {@code d_p = 1} with zero gradient, while the inter-class term is that of the single example.
     */
    @Test
    void aMinibatchOfOneHasUncorrelatedClassColumnsAndTheInterClassGradient() {
        double[][] s = {{1.0, -2.0, 0.5, 3.0}};
        double[][] t = {{2.0, 0.3, -1.0, 2.5}};
        double beta = 1.5;
        double gamma = 0.5;
        double temp = 4.0;
        double inter = 1 - Naive.pearson(Naive.softmax(s[0], temp), Naive.softmax(t[0], temp));
        DistLoss loss = new DistLoss(beta, gamma, temp);
        double score = loss.computeScore(doubles(t), doubles(s), ID, null, true);
        assertEquals(temp * temp * (beta * inter + gamma * 1), score, 1e-12);
        // torch float64 autograd of the authors' DIST, printed by dist_golden.py (case "single")
        assertEquals(14.145286760540728, score, 1e-12);
        INDArray gradient = loss.computeGradient(doubles(t), doubles(s), ID, null);
        assertMatchesBatchGradient(new double[][] {
            {-2.4973965021716493, -0.5392080148964427, 3.4125459971534724, -0.3759414800853803}}, gradient);
        INDArray interOnly = new DistLoss(beta, 0.0, temp).computeGradient(doubles(t), doubles(s), ID, null);
        assertTrue(interOnly.equalsWithEps(gradient, 1e-12), gradient + " vs the inter-class term's " + interOnly);
        LossChecks.assertGradientMatchesCentralDifferences(loss, t, s, null);
    }

    @Test
    void aMaskThatLeavesOneRowKeepsItsInterClassTerm() {
        double[][] s = {{1.0, -2.0, 0.5, 3.0}, {0.2, 0.1, -0.4, 1.0}};
        double[][] t = {{2.0, 0.3, -1.0, 2.5}, {1.0, 1.0, 0.0, -1.0}};
        INDArray mask = doubles(new double[][] {{1}, {0}});
        DistLoss loss = new DistLoss(1.5, 0.5, 4.0);
        double alone = loss.computeScore(doubles(new double[][] {t[0]}), doubles(new double[][] {s[0]}), ID, null,
                true);
        // the masked row is left out of the relation, so the batch is the first row alone
        assertEquals(alone, loss.computeScore(doubles(t), doubles(s), ID, mask, true), 1e-12);
        LossChecks.assertGradientMatchesCentralDifferences(loss, t, s, mask);
    }

    @Test
    void gradientMatchesCentralDifferencesOnSmallRandomBatches() {
        Random rng = new Random(2205);
        for (int rows = 1; rows <= 4; rows++) {
            double[][] s = LossChecks.random(rng, rows, 3, 1.0);
            double[][] t = LossChecks.random(rng, rows, 3, 1.0);
            LossChecks.assertGradientMatchesCentralDifferences(new DistLoss(0.7, 1.3, 1.5), t, s, null);
        }
    }

    /** DL4J receives {@code mb * dL/dz}; compares it with {@code dL/dz} from the reference, entry by entry. */
    private static void assertMatchesBatchGradient(double[][] expected, INDArray actual) {
        int rows = expected.length;
        double largest = 0;
        for (double[] row : expected) {
            for (double v : row) {
                largest = Math.max(largest, Math.abs(v));
            }
        }
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                double e = rows * expected[i][j];
                double a = actual.getDouble(i, j);
                // entries far below the largest are softmax-backward round-off in either implementation
                double tolerance = 1e-9 * Math.abs(e) + 1e-12 * rows * largest;
                assertTrue(Math.abs(a - e) <= tolerance, "d/dz[" + i + "," + j + "]: " + a + ", authors' " + e);
            }
        }
    }
}
