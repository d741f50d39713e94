package org.kdspark.kd.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kdspark.kd.loss.LossChecks.doubles;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;

/** Hand-sized cases of the feature-based losses: FitNets hints and attention transfer. */
class FeatureLossesTest {

    private static final ActivationIdentity ID = new ActivationIdentity();

    @Test
    void hintLossIsHalfTheWeightedSquaredDistance() {
        // (1-0)^2 + (2-4)^2 + (-1+1)^2 = 5; two rows: 5 and 1
        double[][] r = {{1, 2, -1}, {0, 0, 1}};
        double[][] u = {{0, 4, -1}, {0, 0, 0}};
        HintLoss loss = new HintLoss(0.5);
        assertArrayEquals(new double[] {0.5 / 2 * 5, 0.5 / 2 * 1},
                loss.computeScoreArray(doubles(u), doubles(r), ID, null).toDoubleVector(), 1e-12);
        assertArrayEquals(new double[] {0.5, -1, 0, 0, 0, 0.5},
                loss.computeGradient(doubles(u), doubles(r), ID, null).reshape(6).toDoubleVector(), 1e-12);
    }

    @Test
    void attentionLossOfOrthogonalMapsIsHalfBeta() {
        // student: 2 channels x 2 positions, all energy at position 0 -> a_s = (1, 0);
        // teacher map (0, 5) -> a_t = (0, 1); ||a_s - a_t||^2 = 2; L = beta/2 * 2 / HW = beta/2
        double[][] student = {{1, 0, 1, 0}};
        double[][] teacherMap = {{0, 5}};
        assertEquals(30.0, new AttentionTransferLoss(60.0).computeScore(doubles(teacherMap), doubles(student), ID,
                null, true), 1e-12);
    }

    @Test
    void attentionLossMatchesTheReferenceCodeOnARandomishMap() {
        // reference: at(x) = normalize(x.pow(2).mean(1).view(b, -1)); beta/2 * (at(s) - at(t)).pow(2).mean()
        double[] s = {0.5, -1.0, 2.0, 0.1, 0.3, 0.0, -0.7, 1.2, 0.4, 0.9, -0.2, 0.6};   // C = 2, H*W = 6
        double[] tFeatures = {1.0, 0.2, -0.3, 0.5, 0.8, -1.1, 0.0, 0.4, 0.7, -0.6, 0.2, 0.3, 0.9, 0.1, 0.5, 0.2,
            -0.4, 0.8};   // C = 3
        int hw = 6;
        double[] qs = new double[hw];
        double[] qt = new double[hw];
        for (int c = 0; c < 2; c++) {
            for (int p = 0; p < hw; p++) {
                qs[p] += s[c * hw + p] * s[c * hw + p] / 2;
            }
        }
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < hw; p++) {
                qt[p] += tFeatures[c * hw + p] * tFeatures[c * hw + p] / 3;
            }
        }
        double ns = Math.sqrt(java.util.Arrays.stream(qs).map(v -> v * v).sum());
        double nt = Math.sqrt(java.util.Arrays.stream(qt).map(v -> v * v).sum());
        double mean = 0;
        for (int p = 0; p < hw; p++) {
            mean += Math.pow(qs[p] / ns - qt[p] / nt, 2) / hw;
        }
        double beta = 1000;
        double[] teacherMap = AttentionTransferLoss.attentionMap(tFeatures, hw);
        assertEquals(beta / 2 * mean, new AttentionTransferLoss(beta).computeScore(doubles(new double[][] {teacherMap}),
                doubles(new double[][] {s}), ID, null, true), 1e-10);
    }

    @Test
    void attentionLossRejectsMapsOfADifferentSpatialSize() {
        var e = assertThrows(IllegalArgumentException.class, () -> new AttentionTransferLoss()
                .computeScore(doubles(new double[][] {{1, 2, 3, 4, 5}}), doubles(new double[][] {{1, 2, 3, 4, 5, 6}}),
                        ID, null, true));
        assertTrue(e.getMessage().contains("same H and W"), e.getMessage());
    }
}
