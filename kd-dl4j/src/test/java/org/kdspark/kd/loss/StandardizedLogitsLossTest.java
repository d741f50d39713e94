package org.kdspark.kd.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kdspark.kd.loss.LossChecks.doubles;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class StandardizedLogitsLossTest {

    private static final ActivationIdentity ID = new ActivationIdentity();

    @Test
    void kdOnZScoresMatchesTheValueWorkedByHand() {
        // s = [1, 2, 4]: mean 7/3, deviations [-4/3, -1/3, 5/3], sample variance (16 + 1 + 25) / 9 / 2 = 7/3
        // t = [0, 3, 3]: mean 2, deviations [-2, 1, 1], sample variance 6 / 2 = 3
        double ss = Math.sqrt(7.0 / 3) + StandardizedLogitsLoss.EPS;
        double st = Math.sqrt(3.0) + StandardizedLogitsLoss.EPS;
        double[] zs = {-4.0 / 3 / ss, -1.0 / 3 / ss, 5.0 / 3 / ss};
        double[] zt = {-2 / st, 1 / st, 1 / st};
        double temperature = 2;
        double expected = temperature * temperature * Naive.kl(Naive.softmax(zt, temperature), Naive.softmax(zs, temperature));
        StandardizedLogitsLoss loss = new StandardizedLogitsLoss(new KnowledgeDistillationLoss(0, temperature), true);
        double score = loss.computeScore(doubles(new double[][] {{0, 0, 1, 0, 3, 3}}), doubles(new double[][] {{1, 2, 4}}), ID, null, false);
        assertEquals(expected, score, 1e-12);
        assertTrue(score > 0.01, "the z-scores differ, so the KL is not 0: " + score);
    }

    @Test
    void theScoreIgnoresEachSidesOffsetAndScale() {
        StandardizedLogitsLoss loss = new StandardizedLogitsLoss(new KnowledgeDistillationLoss(0, 2), true);
        double[][] s = {{0.5, -1.0, 2.0, 0.1}};
        double[][] t = {{0, 0, 1, 0, 3.0, -2.0, 5.0, 1.0}};
        double base = loss.computeScore(doubles(t), doubles(s), ID, null, false);
        double[][] s2 = {{10 + 3 * 0.5, 10 - 3 * 1.0, 10 + 3 * 2.0, 10 + 3 * 0.1}};
        double[][] t2 = {{0, 0, 1, 0, -4 + 0.2 * 3.0, -4 - 0.2 * 2.0, -4 + 0.2 * 5.0, -4 + 0.2 * 1.0}};
        assertEquals(base, loss.computeScore(doubles(t2), doubles(s2), ID, null, false), 1e-6);
        // and plain KD does not: a teacher with 5 times the spread is a different target
        KnowledgeDistillationLoss plain = new KnowledgeDistillationLoss(0, 2);
        double[][] t5 = {{0, 0, 1, 0, 15.0, -10.0, 25.0, 5.0}};
        assertTrue(Math.abs(plain.computeScore(doubles(t), doubles(s), ID, null, false)
                - plain.computeScore(doubles(t5), doubles(s), ID, null, false)) > 0.1);
        assertEquals(base, loss.computeScore(doubles(t5), doubles(s), ID, null, false), 1e-6);
    }

    @Test
    void gradientsMatchCentralDifferencesForKdDkdAndDist() {
        Random rng = new Random(2403);
        for (int rows = 1; rows <= 4; rows++) {
            double[][] s = LossChecks.random(rng, rows, 5, 2.0);
            double[][] t = LossChecks.random(rng, rows, 5, 3.0);
            double[][] yt = new double[rows][10];
            for (int i = 0; i < rows; i++) {
                yt[i][rng.nextInt(5)] = 1;
                System.arraycopy(t[i], 0, yt[i], 5, 5);
            }
            INDArray mask = rows == 3 ? Nd4j.create(new double[][] {{1}, {0}, {0.5}}) : null;
            LossChecks.assertGradientMatchesCentralDifferences(new StandardizedLogitsLoss(new KnowledgeDistillationLoss(0, 2), true), yt, s, mask);
            LossChecks.assertGradientMatchesCentralDifferences(
                    new StandardizedLogitsLoss(new DecoupledKnowledgeDistillationLoss(1, 8, 2), true), yt, s, mask);
            LossChecks.assertGradientMatchesCentralDifferences(new StandardizedLogitsLoss(new DistLoss(1, 2, 1), false), t, s, mask);
        }
        assertTrue(LossChecks.graphGradientCheck(new StandardizedLogitsLoss(new KnowledgeDistillationLoss(0, 3), true), 4, 3,
                LossChecks.random(rng, 3, 4, 1.0), new double[][] {{1, 0, 0, 0.5, 2, -1}, {0, 1, 0, 1, 1, 3}, {0, 0, 1, -2, 0, 0}}));
    }

    @Test
    void equalLogitsGiveAFiniteGradientThatOnlyCentres() {
        StandardizedLogitsLoss loss = new StandardizedLogitsLoss(new KnowledgeDistillationLoss(0, 2), true);
        INDArray g = loss.computeGradient(doubles(new double[][] {{1, 0, 0, 2, 0, -1}}), doubles(new double[][] {{3, 3, 3}}), ID, null);
        double sum = 0;
        for (int k = 0; k < 3; k++) {
            assertTrue(Double.isFinite(g.getDouble(0, k)), g.toString());
            sum += g.getDouble(0, k);
        }
        assertEquals(0, sum, 1e-6, "shifting every logit alike changes nothing, so the gradient sums to 0");
    }

    @Test
    void labelsOfTheWrongWidthAreRefusedNamingTheLayout() {
        StandardizedLogitsLoss loss = new StandardizedLogitsLoss(new KnowledgeDistillationLoss(0, 2), true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loss.computeScore(doubles(new double[][] {{1, 0, 0}}), doubles(new double[][] {{1, 2, 3}}), ID, null, false));
        assertTrue(e.getMessage().contains("[one-hot | teacher logits]"), e.getMessage());
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> new StandardizedLogitsLoss(new DistLoss(1, 1, 1), false).computeScore(doubles(new double[][] {{1}}),
                        doubles(new double[][] {{2}}), ID, null, false));
        assertTrue(one.getMessage().contains("at least 2 classes"), one.getMessage());
    }
}
