package org.kdspark.kd.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kdspark.kd.loss.LossChecks.doubles;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Hand-sized cases of the relational losses: SP, RKD and PKT. */
class RelationalLossesTest {

    private static final ActivationIdentity ID = new ActivationIdentity();

    @Test
    void spOfOpposedTeacherAndAlignedStudentIsGamma() {
        // student (1),(2): G~ = [[1,2],[2,4]], both rows -> (1,2)/sqrt5; teacher (1),(-1): rows (1,-1)/sqrt2 and
        // (-1,1)/sqrt2. Squared row differences: 2 + 2/sqrt10 and 2 - 2/sqrt10; sum 4; L = gamma/b^2 * 4 = gamma
        double score = new SimilarityPreservingLoss(7.0).computeScore(doubles(new double[][] {{1}, {-1}}),
                doubles(new double[][] {{1}, {2}}), ID, null, true);
        assertEquals(7.0, score, 1e-12);
    }

    @Test
    void spMatchesTheFormulaOnARandomBatch() {
        Random rng = new Random(2);
        double[][] s = LossChecks.random(rng, 4, 3, 1.0);
        double[][] t = LossChecks.random(rng, 4, 5, 1.0);
        double[][] gs = rowNormalizedGram(s);
        double[][] gt = rowNormalizedGram(t);
        double sum = 0;
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                sum += Math.pow(gt[i][j] - gs[i][j], 2);
            }
        }
        assertEquals(3000.0 / 16 * sum, new SimilarityPreservingLoss().computeScore(doubles(t), doubles(s), ID, null,
                true), 1e-9);
    }

    private static double[][] rowNormalizedGram(double[][] q) {
        int b = q.length;
        double[][] g = new double[b][b];
        for (int i = 0; i < b; i++) {
            double norm = 0;
            for (int j = 0; j < b; j++) {
                for (int k = 0; k < q[0].length; k++) {
                    g[i][j] += q[i][k] * q[j][k];
                }
                norm += g[i][j] * g[i][j];
            }
            for (int j = 0; j < b; j++) {
                g[i][j] /= Math.sqrt(norm);
            }
        }
        return g;
    }

    @Test
    void maskedExamplesAreLeftOutOfTheRelation() {
        Random rng = new Random(4);
        double[][] s = LossChecks.random(rng, 4, 3, 1.0);
        double[][] t = LossChecks.random(rng, 4, 2, 1.0);
        SimilarityPreservingLoss loss = new SimilarityPreservingLoss(10);
        INDArray mask = doubles(new double[][] {{1}, {0}, {1}, {1}});
        double masked = loss.computeScore(doubles(t), doubles(s), ID, mask, true);
        double subset = loss.computeScore(doubles(new double[][] {t[0], t[2], t[3]}),
                doubles(new double[][] {s[0], s[2], s[3]}), ID, null, true);
        assertEquals(subset, masked, 1e-12);
        assertEquals(0, loss.computeScoreArray(doubles(t), doubles(s), ID, mask).getDouble(1, 0), 0);
    }

    @Test
    void rkdOfALineAgainstAnEquilateralTriangleMatchesTheHandComputation() {
        // teacher: unit equilateral triangle; student: 0, 1, 2 on a line.
        // distances: mu_s = 4/3 -> psi_s = 3/4, 3/4, 3/2 vs psi_t = 1: L_D = 2*(1/32 + 1/32 + 1/8) / 9 = 1/24
        // angles (j != k, both != i): student cos = 1, -1, 1 at the three vertices, teacher 0.5:
        // L_A = 2*(1/8 + 1 + 1/8) / 27 = 5/54
        double[][] student = {{0}, {1}, {2}};
        double[][] teacher = {{0, 0}, {1, 0}, {0.5, Math.sqrt(3) / 2}};
        double score = new RelationalKnowledgeDistillationLoss(25, 50).computeScore(doubles(teacher),
                doubles(student), ID, null, true);
        assertEquals(25.0 / 24 + 50.0 * 5 / 54, score, 1e-12);
    }

    @Test
    void rkdMatchesTheFormulaOnARandomBatch() {
        Random rng = new Random(8);
        int b = 4;
        double[][] s = LossChecks.random(rng, b, 3, 1.0);
        double[][] t = LossChecks.random(rng, b, 5, 1.0);
        double muS = 0;
        double muT = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                muS += Naive.distance(s[i], s[j]) / (b * (b - 1));
                muT += Naive.distance(t[i], t[j]) / (b * (b - 1));
            }
        }
        double distance = 0;
        double angle = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                distance += Naive.smoothL1(Naive.distance(s[i], s[j]) / muS - Naive.distance(t[i], t[j]) / muT)
                        / (b * b);
                for (int k = 0; k < b; k++) {
                    if (j == i || k == i) {
                        continue;   // e_ii = 0 on both sides: these terms are zero
                    }
                    double cs = Naive.cosine(Naive.minus(s[j], s[i]), Naive.minus(s[k], s[i]));
                    double ct = Naive.cosine(Naive.minus(t[j], t[i]), Naive.minus(t[k], t[i]));
                    angle += Naive.smoothL1(cs - ct) / (b * b * b);
                }
            }
        }
        assertEquals(2 * distance + 3 * angle, new RelationalKnowledgeDistillationLoss(2, 3).computeScore(doubles(t),
                doubles(s), ID, null, true), 1e-12);
    }

    @Test
    void rkdIsBlindToScaleAndRotationOfTheEmbedding() {
        double[][] t = {{0, 0}, {1, 0}, {0.3, 2}, {-1, 0.5}};
        double[][] s = new double[4][2];
        double c = Math.cos(0.7);
        double sn = Math.sin(0.7);
        for (int i = 0; i < 4; i++) {
            s[i][0] = 3 * (c * t[i][0] - sn * t[i][1]) + 5;
            s[i][1] = 3 * (sn * t[i][0] + c * t[i][1]) - 2;
        }
        assertEquals(0, new RelationalKnowledgeDistillationLoss().computeScore(doubles(t), doubles(s), ID, null, true),
                1e-12);
    }

    @Test
    void pktOfOrthogonalStudentAndParallelTeacherMatchesTheHandComputation() {
        // student cos = 0: K = [[1, .5], [.5, 1]] -> P_s = [[2/3, 1/3], [1/3, 2/3]]; teacher cos = 1: P_t = 1/2.
        // L = w/4 * sum 0.5*log(0.5/P_s) = w/4 * (log(3/4) + log(3/2))
        double score = new ProbabilisticKnowledgeTransferLoss(2.0).computeScore(doubles(new double[][] {{1, 0}, {2, 0}}),
                doubles(new double[][] {{1, 0}, {0, 1}}), ID, null, true);
        assertEquals(2.0 / 4 * (Math.log(0.75) + Math.log(1.5)), score, 1e-6);
    }

    @Test
    void pktMatchesTheReferenceCodeOnARandomBatch() {
        Random rng = new Random(12);
        double[][] s = LossChecks.random(rng, 3, 4, 1.0);
        double[][] t = LossChecks.random(rng, 3, 2, 1.0);
        double eps = 1e-7;
        double[][] ps = conditional(s, eps);
        double[][] pt = conditional(t, eps);
        double sum = 0;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                sum += pt[i][j] * Math.log((pt[i][j] + eps) / (ps[i][j] + eps));
            }
        }
        assertEquals(sum / 9, new ProbabilisticKnowledgeTransferLoss().computeScore(doubles(t), doubles(s), ID, null,
                true), 1e-12);
    }

    private static double[][] conditional(double[][] x, double eps) {
        int b = x.length;
        double[][] n = new double[b][];
        for (int i = 0; i < b; i++) {
            double norm = Math.sqrt(java.util.Arrays.stream(x[i]).map(v -> v * v).sum());
            n[i] = java.util.Arrays.stream(x[i]).map(v -> v / (norm + eps)).toArray();
        }
        double[][] p = new double[b][b];
        for (int i = 0; i < b; i++) {
            double row = 0;
            for (int j = 0; j < b; j++) {
                double dot = 0;
                for (int k = 0; k < n[i].length; k++) {
                    dot += n[i][k] * n[j][k];
                }
                p[i][j] = (dot + 1) / 2;
                row += p[i][j];
            }
            for (int j = 0; j < b; j++) {
                p[i][j] /= row;
            }
        }
        return p;
    }

    @Test
    void relationalLossesOfASingleExampleAreZero() {
        // DIST is not among them: its inter-class term is per example (see DistLossTest)
        double[][] one = {{1, 2, 3}};
        for (var loss : new MinibatchLoss[] {new SimilarityPreservingLoss(), new RelationalKnowledgeDistillationLoss(),
            new ProbabilisticKnowledgeTransferLoss()}) {
            assertEquals(0, loss.computeScore(doubles(one), doubles(one), ID, null, true), 0, loss.toString());
            assertTrue(loss.computeGradient(doubles(one), doubles(one), ID, null).sumNumber().doubleValue() == 0);
        }
    }
}
