package org.kdspark.kd.loss;

import java.util.Objects;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Relational knowledge distillation (RKD): the student's embedding should reproduce the teacher's pairwise
 * distances (up to scale) and the angles of triplets.
 *
 * <p>Over the minibatch's embeddings {@code x_1..x_b} (student and teacher widths may differ), with
 * {@code l} the smooth-L1 (Huber, delta 1) loss:
 * <pre>
 *   psi_D(i,j)   = ||x_i - x_j|| / mu,    mu = mean of ||x_i - x_j|| over the b(b-1) pairs i != j
 *   e_ij         = (x_j - x_i) / ||x_j - x_i||   (e_ii = 0)
 *   psi_A(i,j,k) = &lt;e_ij, e_ik&gt;          (cosine of the angle at x_i)
 *   L_D = 1/b^2 * sum_{i,j}   l(psi_D^s(i,j)   - psi_D^t(i,j))
 *   L_A = 1/b^3 * sum_{i,j,k} l(psi_A^s(i,j,k) - psi_A^t(i,j,k))
 *   L   = distanceWeight * L_D + angleWeight * L_A
 * </pre>
 * The paper sums over distinct pairs and triplets; the averages over all {@code b^2} and {@code b^3} index
 * tuples (degenerate ones contribute zero) are those of the authors' code, which the published weights
 * (25 and 50) were tuned with. The gradient follows the chain rule through {@code mu} and through each unit
 * vector {@code e_ij}: {@code d e / d u = (I - e e^T) / ||u||}. Coincident embeddings have no direction and add
 * no gradient; a batch whose embeddings all coincide has no distance term.
 *
 * <p>Cost: the angle term is {@code O(b^3 d)} per minibatch. Relational over the minibatch (see
 * {@link MinibatchLoss}). Labels: the teacher's embedding, any width.
 *
 * <p>Paper: W. Park, D. Kim, Y. Lu, M. Cho, "Relational Knowledge Distillation", CVPR 2019,
 * <a href="https://arxiv.org/abs/1904.05068">arXiv:1904.05068</a>, eqs. (4)-(7).
 */
public final class RelationalKnowledgeDistillationLoss extends MinibatchLoss {

    private static final long serialVersionUID = 1L;

    @JsonProperty("distanceWeight")
    private final double distanceWeight;
    @JsonProperty("angleWeight")
    private final double angleWeight;

    /** The paper's weights: 25 for distance, 50 for angle. */
    public RelationalKnowledgeDistillationLoss() {
        this(25.0, 50.0);
    }

    @JsonCreator
    public RelationalKnowledgeDistillationLoss(@JsonProperty("distanceWeight") double distanceWeight,
                                               @JsonProperty("angleWeight") double angleWeight) {
        Checks.nonNegative("distanceWeight", distanceWeight);
        Checks.nonNegative("angleWeight", angleWeight);
        this.distanceWeight = distanceWeight;
        this.angleWeight = angleWeight;
    }

    @Override
    protected void checkWidths(long outputWidth, long labelWidth) {
        if (labelWidth < 1) {
            throw new IllegalArgumentException("RKD labels must be the teacher's embedding, got width " + labelWidth);
        }
    }

    @Override
    protected double batch(double[][] s, double[][] t, double[][] gradient) {
        double loss = 0;
        if (distanceWeight != 0) {
            loss += distanceWeight * distanceTerm(s, t, gradient, distanceWeight);
        }
        if (angleWeight != 0) {
            loss += angleWeight * angleTerm(s, t, gradient, angleWeight);
        }
        return loss;
    }

    private static double[][] distances(double[][] x) {
        int b = x.length;
        double[][] d = new double[b][b];
        for (int i = 0; i < b; i++) {
            for (int j = i + 1; j < b; j++) {
                double sum = 0;
                for (int k = 0; k < x[i].length; k++) {
                    double diff = x[i][k] - x[j][k];
                    sum += diff * diff;
                }
                d[i][j] = Math.sqrt(sum);
                d[j][i] = d[i][j];
            }
        }
        return d;
    }

    private static double meanOffDiagonal(double[][] d) {
        int b = d.length;
        double sum = 0;
        for (double[] row : d) {
            for (double v : row) {
                sum += v;
            }
        }
        return sum / ((double) b * (b - 1));
    }

    /** L_D; adds {@code weight * dL_D/ds} to {@code gradient} when it is not null. */
    private static double distanceTerm(double[][] s, double[][] t, double[][] gradient, double weight) {
        int b = s.length;
        double[][] ds = distances(s);
        double[][] dt = distances(t);
        double muS = meanOffDiagonal(ds);
        double muT = meanOffDiagonal(dt);
        if (muS == 0 || muT == 0) {
            return 0;
        }
        double n2 = (double) b * b;
        double loss = 0;
        double[][] gPsi = new double[b][b];
        double weightedPsi = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                double diff = ds[i][j] / muS - dt[i][j] / muT;
                loss += Vectors.huber(diff) / n2;
                gPsi[i][j] = Vectors.huberDerivative(diff) / n2;
                weightedPsi += gPsi[i][j] * ds[i][j] / muS;
            }
        }
        if (gradient != null) {
            double pairs = (double) b * (b - 1);
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < b; j++) {
                    if (i == j || ds[i][j] == 0) {
                        continue;
                    }
                    // psi = d/mu, and mu itself depends on every distance
                    double gd = weight * (gPsi[i][j] / muS - weightedPsi / (muS * pairs));
                    double f = gd / ds[i][j];
                    for (int k = 0; k < s[i].length; k++) {
                        double v = f * (s[i][k] - s[j][k]);
                        gradient[i][k] += v;
                        gradient[j][k] -= v;
                    }
                }
            }
        }
        return loss;
    }

    /** Unit vectors from {@code x[i]} to every {@code x[j]}, zero for {@code j == i} and for coincident points. */
    private static double[][] directions(double[][] x, int i, double[] lengths) {
        int b = x.length;
        double[][] e = new double[b][x[i].length];
        for (int j = 0; j < b; j++) {
            double sum = 0;
            for (int k = 0; k < x[i].length; k++) {
                double v = x[j][k] - x[i][k];
                e[j][k] = v;
                sum += v * v;
            }
            double n = Math.sqrt(sum);
            if (lengths != null) {
                lengths[j] = n;
            }
            for (int k = 0; k < x[i].length; k++) {
                e[j][k] = n > 0 ? e[j][k] / n : 0;
            }
        }
        return e;
    }

    /** L_A; adds {@code weight * dL_A/ds} to {@code gradient} when it is not null. */
    private static double angleTerm(double[][] s, double[][] t, double[][] gradient, double weight) {
        int b = s.length;
        double n3 = (double) b * b * b;
        double loss = 0;
        double[] lengths = new double[b];
        for (int i = 0; i < b; i++) {
            double[][] es = directions(s, i, lengths);
            double[][] et = directions(t, i, null);
            double[][] cosS = Vectors.gram(es);
            double[][] cosT = Vectors.gram(et);
            double[][] g = gradient == null ? null : new double[b][b];
            for (int j = 0; j < b; j++) {
                for (int k = 0; k < b; k++) {
                    double diff = cosS[j][k] - cosT[j][k];
                    loss += Vectors.huber(diff) / n3;
                    if (g != null) {
                        g[j][k] = weight * Vectors.huberDerivative(diff) / n3;
                    }
                }
            }
            if (gradient == null) {
                continue;
            }
            double[][] gE = Vectors.gramBackward(es, g);
            for (int j = 0; j < b; j++) {
                if (j == i || lengths[j] == 0) {
                    continue;
                }
                double[] gu = Vectors.normalizeBackward(Vectors.scaled(es[j], lengths[j]), gE[j]);
                for (int k = 0; k < gu.length; k++) {
                    gradient[j][k] += gu[k];
                    gradient[i][k] -= gu[k];
                }
            }
        }
        return loss;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RelationalKnowledgeDistillationLoss other
                && Double.compare(distanceWeight, other.distanceWeight) == 0
                && Double.compare(angleWeight, other.angleWeight) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(distanceWeight, angleWeight);
    }

    @Override
    public String toString() {
        return Formulas.number(distanceWeight) + "*huber(psi_D(s) - psi_D(t)) + " + Formulas.number(angleWeight)
                + "*huber(psi_A(s) - psi_A(t))";
    }
}
