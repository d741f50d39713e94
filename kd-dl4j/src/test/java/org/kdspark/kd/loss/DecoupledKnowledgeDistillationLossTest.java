package org.kdspark.kd.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kdspark.kd.loss.LossChecks.doubles;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;

class DecoupledKnowledgeDistillationLossTest {

    private static final ActivationIdentity ID = new ActivationIdentity();

    @Test
    void matchesTargetAndNonTargetKlComputedFromThePaperDefinitions() {
        double[] s = {1.0, 2.0, 0.5, -0.3};
        double[] t = {0.2, 3.0, -1.0, 0.7};
        int target = 1;
        double temp = 2.0;
        double alpha = 1.5;
        double beta = 4.0;
        double[] p = Naive.softmax(s, temp);
        double[] q = Naive.softmax(t, temp);
        double tckd = Naive.kl(new double[] {q[target], 1 - q[target]}, new double[] {p[target], 1 - p[target]});
        double[] pHat = {p[0] / (1 - p[1]), p[2] / (1 - p[1]), p[3] / (1 - p[1])};
        double[] qHat = {q[0] / (1 - q[1]), q[2] / (1 - q[1]), q[3] / (1 - q[1])};
        double nckd = Naive.kl(qHat, pHat);
        double expected = temp * temp * (alpha * tckd + beta * nckd);
        double[][] labels = {{0, 1, 0, 0, t[0], t[1], t[2], t[3]}};
        double actual = new DecoupledKnowledgeDistillationLoss(alpha, beta, temp)
                .computeScore(doubles(labels), doubles(new double[][] {s}), ID, null, true);
        assertEquals(expected, actual, 1e-12);
    }

    @Test
    void withBetaOneMinusTeacherTargetProbabilityItReproducesHintonsSoftTerm() {
        // the paper's eq. (5): KD = TCKD + (1 - q_target) * NCKD
        double[] s = {0.4, -1.0, 2.2};
        double[] t = {1.1, 0.3, -0.5};
        double temp = 3.0;
        double qTarget = Naive.softmax(t, temp)[0];
        double[][] labels = {{1, 0, 0, t[0], t[1], t[2]}};
        double dkd = new DecoupledKnowledgeDistillationLoss(1.0, 1 - qTarget, temp)
                .computeScore(doubles(labels), doubles(new double[][] {s}), ID, null, true);
        double kd = new KnowledgeDistillationLoss(0.0, temp)
                .computeScore(doubles(labels), doubles(new double[][] {s}), ID, null, true);
        assertEquals(kd, dkd, 1e-12);
    }

    @Test
    void staysFiniteWhenTheStudentIsCertainOfTheTarget() {
        double[][] labels = {{1, 0, 0, 50, -50, 0}};
        double[][] s = {{400, -400, 0}};
        var loss = new DecoupledKnowledgeDistillationLoss();
        assertTrue(Double.isFinite(loss.computeScore(doubles(labels), doubles(s), ID, null, true)));
        for (double g : loss.computeGradient(doubles(labels), doubles(s), ID, null).toDoubleVector()) {
            assertTrue(Double.isFinite(g));
        }
    }

    @Test
    void rejectsLabelsWithoutTeacherLogits() {
        var e = assertThrows(IllegalArgumentException.class, () -> new DecoupledKnowledgeDistillationLoss()
                .computeScore(doubles(new double[][] {{1, 0, 0}}), doubles(new double[][] {{1, 2, 3}}), ID, null,
                        true));
        assertTrue(e.getMessage().contains("6 wide"), e.getMessage());
    }
}
