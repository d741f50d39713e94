package org.kdspark.kd.loss;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Probabilistic knowledge transfer (PKT): match the conditional probability distributions that a cosine
 * kernel induces over the minibatch, in the student's and the teacher's embedding spaces.
 *
 * <p>With {@code n_i = x_i / (||x_i|| + eps)}, the kernel {@code K_ij = (<n_i, n_j> + 1) / 2} and the
 * conditional probabilities {@code P_ij = K_ij / sum_k K_ik} (row-normalised), over a minibatch of {@code b}:
 * <pre>
 *   L = weight / b^2 * sum_{i,j} P^t_ij * log((P^t_ij + eps) / (P^s_ij + eps)),   eps = 1e-7
 * </pre>
 * This is the authors' released code (github.com/passalis/probabilistic_kt): it keeps the {@code j = i} terms
 * and averages over all {@code b^2} entries, whereas the paper's eq. (10) sums the KL over {@code j != i};
 * the {@code eps} places are also the code's. The gradient is the exact derivative of this value: back through
 * the row normalisation ({@code dL/dK_ij = (g_ij - sum_k g_ik P^s_ik) / sum_k K_ik}), the Gram matrix and the
 * {@code eps}-shifted normalisation of each {@code x_i}.
 *
 * <p>Relational over the minibatch (see {@link MinibatchLoss}). Labels: the teacher's embedding, any width.
 *
 * <p>Paper: N. Passalis, A. Tefas, "Learning Deep Representations with Probabilistic Knowledge Transfer",
 * ECCV 2018, <a href="https://arxiv.org/abs/1803.10837">arXiv:1803.10837</a>, eqs. (7)-(10).
 */
public final class ProbabilisticKnowledgeTransferLoss extends MinibatchLoss {

    private static final long serialVersionUID = 1L;

    static final double EPS = 1e-7;

    @JsonProperty("weight")
    private final double weight;

    public ProbabilisticKnowledgeTransferLoss() {
        this(1.0);
    }

    /** @param weight multiplier of the mean KL term, non-negative */
    @JsonCreator
    public ProbabilisticKnowledgeTransferLoss(@JsonProperty("weight") double weight) {
        Checks.nonNegative("weight", weight);
        this.weight = weight;
    }

    @Override
    protected void checkWidths(long outputWidth, long labelWidth) {
        if (labelWidth < 1) {
            throw new IllegalArgumentException("PKT labels must be the teacher's embedding, got width " + labelWidth);
        }
    }

    private static double[][] unit(double[][] x, double[] norms) {
        double[][] n = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            norms[i] = Vectors.norm(x[i]);
            n[i] = new double[x[i].length];
            for (int k = 0; k < x[i].length; k++) {
                n[i][k] = x[i][k] / (norms[i] + EPS);
            }
        }
        return n;
    }

    /** Row-normalised kernel; fills {@code rowSums} with the normalisers. */
    private static double[][] conditional(double[][] unit, double[] rowSums) {
        double[][] k = Vectors.gram(unit);
        for (int i = 0; i < k.length; i++) {
            double sum = 0;
            for (int j = 0; j < k.length; j++) {
                k[i][j] = (k[i][j] + 1) / 2;
                sum += k[i][j];
            }
            rowSums[i] = sum;
            for (int j = 0; j < k.length; j++) {
                k[i][j] /= sum;
            }
        }
        return k;
    }

    @Override
    protected double batch(double[][] s, double[][] t, double[][] gradient) {
        int b = s.length;
        double[] normS = new double[b];
        double[] rowS = new double[b];
        double[][] nS = unit(s, normS);
        double[][] pS = conditional(nS, rowS);
        double[][] pT = conditional(unit(t, new double[b]), new double[b]);
        double scale = weight / ((double) b * b);
        double loss = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                if (pT[i][j] > 0) {
                    loss += pT[i][j] * Math.log((pT[i][j] + EPS) / (pS[i][j] + EPS));
                }
            }
        }
        if (gradient != null) {
            double[][] gK = new double[b][b];
            for (int i = 0; i < b; i++) {
                double[] gP = new double[b];
                double inner = 0;
                for (int j = 0; j < b; j++) {
                    gP[j] = -scale * pT[i][j] / (pS[i][j] + EPS);
                    inner += gP[j] * pS[i][j];
                }
                for (int j = 0; j < b; j++) {
                    gK[i][j] = (gP[j] - inner) / rowS[i] / 2;   // the /2 is d((c+1)/2)/dc
                }
            }
            double[][] gN = Vectors.gramBackward(nS, gK);
            for (int i = 0; i < b; i++) {
                double n = normS[i];
                double denominator = n + EPS;
                double xg = Vectors.dot(s[i], gN[i]);
                for (int k = 0; k < s[i].length; k++) {
                    double g = gN[i][k] / denominator;
                    if (n > 0) {
                        g -= s[i][k] * xg / (n * denominator * denominator);
                    }
                    gradient[i][k] = g;
                }
            }
        }
        return scale * loss;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProbabilisticKnowledgeTransferLoss other && Double.compare(weight, other.weight) == 0;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(weight);
    }

    @Override
    public String toString() {
        return Formulas.number(weight) + "*mean_ij P_t log(P_t/P_s), P = rownorm((cos+1)/2)";
    }
}
