package org.kdspark.kd.loss;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Similarity-preserving KD (SP): the student should find the same examples of a minibatch similar to each other
 * as the teacher does.
 *
 * <p>With {@code Q} the minibatch's activations flattened to {@code [b, d]} (student and teacher widths may
 * differ), {@code G~ = Q Q^T} and {@code G} its rows L2-normalised:
 * <pre>
 *   L = gamma / b^2 * || G_t - G_s ||_F^2
 *   dL/dQ_s = (R + R^T) Q_s,   R_i = (g_i - G_i <G_i, g_i>) / ||G~_i||,   g = 2 gamma / b^2 * (G_s - G_t)
 * </pre>
 * Row norms are floored at {@code 1e-12}, as {@code F.normalize} in the reference code.
 *
 * <p>Relational over the minibatch (see {@link MinibatchLoss}). Output: the student's activation (feature maps
 * flattened). Labels: the teacher's activation of the paired layer, any width.
 *
 * <p>Paper: F. Tung, G. Mori, "Similarity-Preserving Knowledge Distillation", ICCV 2019,
 * <a href="https://arxiv.org/abs/1907.09682">arXiv:1907.09682</a>, eqs. (2)-(4); gamma = 3000 in the paper.
 */
public final class SimilarityPreservingLoss extends MinibatchLoss {

    private static final long serialVersionUID = 1L;

    @JsonProperty("gamma")
    private final double gamma;

    /** gamma = 3000, the paper's value. */
    public SimilarityPreservingLoss() {
        this(3000.0);
    }

    /** @param gamma the paper's gamma, non-negative */
    @JsonCreator
    public SimilarityPreservingLoss(@JsonProperty("gamma") double gamma) {
        Checks.nonNegative("gamma", gamma);
        this.gamma = gamma;
    }

    @Override
    protected void checkWidths(long outputWidth, long labelWidth) {
        if (labelWidth < 1) {
            throw new IllegalArgumentException("SP labels must be the teacher's activations, got width " + labelWidth);
        }
    }

    @Override
    protected double batch(double[][] qs, double[][] qt, double[][] gradient) {
        int b = qs.length;
        double[][] rawS = Vectors.gram(qs);
        double[][] rawT = Vectors.gram(qt);
        double scale = gamma / ((double) b * b);
        double loss = 0;
        double[][] gRaw = new double[b][];
        for (int i = 0; i < b; i++) {
            double[] gs = Vectors.normalize(rawS[i]);
            double[] gt = Vectors.normalize(rawT[i]);
            double[] g = new double[b];
            for (int j = 0; j < b; j++) {
                double d = gs[j] - gt[j];
                loss += d * d;
                g[j] = 2 * scale * d;
            }
            if (gradient != null) {
                gRaw[i] = Vectors.normalizeBackward(rawS[i], g);
            }
        }
        if (gradient != null) {
            double[][] gq = Vectors.gramBackward(qs, gRaw);
            for (int i = 0; i < b; i++) {
                System.arraycopy(gq[i], 0, gradient[i], 0, gq[i].length);
            }
        }
        return scale * loss;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SimilarityPreservingLoss other && Double.compare(gamma, other.gamma) == 0;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(gamma);
    }

    @Override
    public String toString() {
        return Formulas.number(gamma) + "/b^2*||G_t - G_s||_F^2, G = rownorm(Q Q^T)";
    }
}
