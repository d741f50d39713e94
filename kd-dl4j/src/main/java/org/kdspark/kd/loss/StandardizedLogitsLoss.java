package org.kdspark.kd.loss;

import java.util.Objects;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Logit standardisation: a logit loss computed on the z-scores of the student's and the teacher's logits instead of
 * the logits themselves, so that the student matches the teacher's ranking and relative spread of classes rather than
 * its logits' offset and magnitude, which a smaller student may not be able to reach.
 *
 * <p>Per example, with logits {@code x} of {@code C} classes (student or teacher alike):
 * <pre>
 *   Z(x)_k = (x_k - mean(x)) / (std(x) + eps),   std(x) = sqrt(sum_k (x_k - mean(x))^2 / (C - 1)),  eps = 1e-7
 *   L(s, t) = L_inner(Z(s), Z(t))
 * </pre>
 * (the sample standard deviation, as {@code torch.std} computes it in the authors' code). The gradient reaches the
 * raw logits through the standardisation's Jacobian: with {@code g = dL_inner/dZ(s)}, {@code d = s - mean(s)},
 * {@code sigma = std(s)},
 * <pre>
 *   dL/ds_j = (g_j - mean(g)) / (sigma + eps) - (sum_i g_i d_i) * d_j / ((C - 1) * sigma * (sigma + eps)^2)
 * </pre>
 * (the second term is 0 when all logits are equal). The temperature of the inner loss then acts on z-scores, whose
 * spread is the same for every example: the paper uses smaller temperatures and larger weights with it than without.
 *
 * <p>The inner loss's labels carry the teacher logits either after a one-hot block ({@code [y | t]}, as {@code kd}
 * and {@code dkd} read them) or alone ({@code [t]}, as {@code dist} does); only the teacher's block is standardised.
 * The inner loss must not compute a hard-label term on the logits itself: that belongs to the raw logits, in the
 * objective's {@code ce} term.
 *
 * <p>Paper: S. Sun, W. Ren, J. Li, R. Wang, X. Cao, "Logit Standardization in Knowledge Distillation", CVPR 2024,
 * <a href="https://arxiv.org/abs/2403.01427">arXiv:2403.01427</a>, Algorithm 1.
 */
public final class StandardizedLogitsLoss extends AnalyticLoss {

    private static final long serialVersionUID = 1L;

    /** Added to the standard deviation, as in the authors' code. */
    static final double EPS = 1e-7;

    @JsonProperty("loss")
    private final AnalyticLoss loss;
    /** Whether the labels hold a one-hot block before the teacher logits. */
    @JsonProperty("oneHotFirst")
    private final boolean oneHotFirst;

    /** For Jackson only. */
    private StandardizedLogitsLoss() {
        this(new KnowledgeDistillationLoss(0, 2), true);
    }

    /**
     * @param loss        the logit loss computed on the z-scores
     * @param oneHotFirst true for labels {@code [one-hot | teacher logits]}, false for labels of the teacher logits alone
     */
    @JsonCreator
    public StandardizedLogitsLoss(@JsonProperty("loss") AnalyticLoss loss, @JsonProperty("oneHotFirst") boolean oneHotFirst) {
        this.loss = Objects.requireNonNull(loss, "loss");
        this.oneHotFirst = oneHotFirst;
    }

    public AnalyticLoss loss() {
        return loss;
    }

    @Override
    protected void checkWidths(long outputWidth, long labelWidth) {
        if (outputWidth < 2) {
            throw new IllegalArgumentException("logit standardisation needs at least 2 classes, the output has " + outputWidth);
        }
        long expected = oneHotFirst ? 2 * outputWidth : outputWidth;
        if (labelWidth != expected) {
            throw new IllegalArgumentException("standardised " + loss.getClass().getSimpleName() + " labels must be " + expected
                    + " wide (" + (oneHotFirst ? "[one-hot | teacher logits]" : "the teacher logits") + ") for an output of width "
                    + outputWidth + ", got " + labelWidth);
        }
        loss.checkWidths(outputWidth, labelWidth);
    }

    @Override
    protected Evaluation evaluate(double[][] output, double[][] labels, double[] mask, boolean withGradient) {
        int rows = output.length;
        double[][] z = new double[rows][];
        double[][] centred = new double[rows][];
        double[] sigma = new double[rows];
        double[][] standardLabels = new double[rows][];
        for (int i = 0; i < rows; i++) {
            int c = output[i].length;
            centred[i] = centred(output[i], 0, c);
            sigma[i] = std(centred[i]);
            z[i] = Vectors.scaled(centred[i], 1 / (sigma[i] + EPS));
            standardLabels[i] = labels[i].clone();
            int offset = oneHotFirst ? c : 0;
            double[] t = centred(labels[i], offset, c);
            double[] zt = Vectors.scaled(t, 1 / (std(t) + EPS));
            System.arraycopy(zt, 0, standardLabels[i], offset, c);
        }
        Evaluation inner = loss.evaluate(z, standardLabels, mask, withGradient);
        if (!withGradient) {
            return inner;
        }
        double[][] gradient = new double[rows][];
        for (int i = 0; i < rows; i++) {
            double[] g = inner.gradient()[i];
            double[] d = centred[i];
            int c = g.length;
            double meanG = 0;
            for (double v : g) {
                meanG += v;
            }
            meanG /= c;
            double gd = Vectors.dot(g, d);
            double s = sigma[i];
            double through = s > 0 ? gd / ((c - 1) * s * (s + EPS) * (s + EPS)) : 0;
            gradient[i] = new double[c];
            for (int k = 0; k < c; k++) {
                gradient[i][k] = (g[k] - meanG) / (s + EPS) - through * d[k];
            }
        }
        return new Evaluation(inner.scores(), gradient);
    }

    /** {@code x[offset .. offset + c)} minus its mean. */
    private static double[] centred(double[] x, int offset, int c) {
        double mean = 0;
        for (int k = 0; k < c; k++) {
            mean += x[offset + k];
        }
        mean /= c;
        double[] d = new double[c];
        for (int k = 0; k < c; k++) {
            d[k] = x[offset + k] - mean;
        }
        return d;
    }

    /** The sample standard deviation of centred values. */
    private static double std(double[] centred) {
        return Vectors.norm(centred) / Math.sqrt(centred.length - 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StandardizedLogitsLoss other && oneHotFirst == other.oneHotFirst && loss.equals(other.loss);
    }

    @Override
    public int hashCode() {
        return Objects.hash(loss, oneHotFirst);
    }

    @Override
    public String toString() {
        return loss + " on z-scored logits";
    }
}
