package org.kdspark.kd.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kdspark.kd.loss.LossChecks.doubles;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;

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
        assertEquals(0, new DistLoss().computeScore(doubles(s), doubles(s), ID, null, true), 1e-12);
    }
}
