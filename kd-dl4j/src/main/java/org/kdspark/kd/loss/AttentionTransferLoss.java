package org.kdspark.kd.loss;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Attention transfer (AT): match the L2-normalised spatial attention maps of student and teacher.
 *
 * <p>The attention map of a feature map {@code A} ({@code C x H x W}) is {@code Q(A)_p = sum_c A_{c,p}^2} over
 * the {@code HW} positions {@code p} (the paper's {@code F^2_sum}). Per example, with {@code a = Q / ||Q||_2}:
 * <pre>
 *   L = beta / 2 * (1 / HW) * || a_s - a_t ||_2^2
 *   dL/dA_{c,p} = 2 * A_{c,p} * [ (g - a_s <a_s, g>) / ||Q_s|| ]_p,   g = beta / HW * (a_s - a_t)
 * </pre>
 * The paper's eq. (2) reads {@code beta/2 * sum_j || Q_S^j/||Q_S^j|| - Q_T^j/||Q_T^j|| ||_p} with {@code p = 2},
 * and states that beta = 1000 divided by the number of elements in the attention map and by the batch size.
 * The authors' code (and hence every reported number) squares the norm: {@code (at(x) - at(y)).pow(2).mean()}
 * times {@code beta/2}, beta = 1000. This class computes exactly that code's value per example; DL4J's batch
 * average supplies the division by the batch size. Norms are floored at {@code 1e-12} as in
 * {@code F.normalize}.
 *
 * <p>Output: the student's feature map flattened channel-major ({@code [mb, C*H*W]}, e.g. through a
 * {@code CnnToFeedForwardPreProcessor} on a loss layer). Labels: the teacher's attention map {@code Q_t},
 * {@code [mb, H*W]}, normalised or not (the store may hold it precomputed); the spatial sizes must agree, the
 * channel counts need not.
 *
 * <p>Paper: S. Zagoruyko, N. Komodakis, "Paying More Attention to Attention: Improving the Performance of
 * Convolutional Neural Networks via Attention Transfer", ICLR 2017,
 * <a href="https://arxiv.org/abs/1612.03928">arXiv:1612.03928</a>, eq. (2); code: github.com/szagoruyko/attention-transfer.
 */
public final class AttentionTransferLoss extends PerExampleLoss {

    private static final long serialVersionUID = 1L;

    @JsonProperty("beta")
    private final double beta;

    /** beta = 1000, the paper's value. */
    public AttentionTransferLoss() {
        this(1000.0);
    }

    /** @param beta the paper's beta, non-negative */
    @JsonCreator
    public AttentionTransferLoss(@JsonProperty("beta") double beta) {
        Checks.nonNegative("beta", beta);
        this.beta = beta;
    }

    /**
     * The attention map {@code sum_c A_{c,p}^2} of a channel-major feature map of {@code positions} positions per
     * channel; shared with the label builder so that teacher and student maps are made the same way.
     */
    public static double[] attentionMap(double[] featureMap, int positions) {
        double[] q = new double[positions];
        for (int channel = 0; channel < featureMap.length; channel += positions) {
            for (int p = 0; p < positions; p++) {
                double v = featureMap[channel + p];
                q[p] += v * v;
            }
        }
        return q;
    }

    /**
     * {@link #normalizedAttentionMap(double[], int)} of the {@code length} values of {@code featureMap} from
     * {@code offset} (one example of a batch), summed in double precision in the same order: the store's encoder
     * reads the teacher's float outputs without copying them.
     */
    public static double[] normalizedAttentionMap(float[] featureMap, int offset, int length, int positions) {
        double[] q = new double[positions];
        for (int channel = offset; channel < offset + length; channel += positions) {
            for (int p = 0; p < positions; p++) {
                double v = featureMap[channel + p];
                q[p] += v * v;
            }
        }
        return Vectors.normalize(q);
    }

    /**
     * The L2-normalised attention map {@code a = Q / ||Q||_2} (norm floored at 1e-12), the form the loss compares;
     * what the store's {@code attention} encoding holds, so that AT reads it without recomputing.
     */
    public static double[] normalizedAttentionMap(double[] featureMap, int positions) {
        return Vectors.normalize(attentionMap(featureMap, positions));
    }

    @Override
    protected void checkWidths(long outputWidth, long labelWidth) {
        if (labelWidth == 0 || outputWidth % labelWidth != 0) {
            throw new IllegalArgumentException("AT labels must be the teacher attention map, H*W wide, for a student"
                    + " feature map of C*H*W = " + outputWidth + " values; " + labelWidth + " does not divide "
                    + outputWidth + " (student and teacher maps must have the same H and W)");
        }
    }

    @Override
    protected double example(double[] x, double[] qTeacher, double[] gradient) {
        int hw = qTeacher.length;
        double[] q = attentionMap(x, hw);
        double[] as = Vectors.normalize(q);
        double[] at = Vectors.normalize(qTeacher);
        double sum = 0;
        double[] g = new double[hw];
        for (int p = 0; p < hw; p++) {
            double d = as[p] - at[p];
            sum += d * d;
            g[p] = beta / hw * d;
        }
        if (gradient != null) {
            double[] gq = Vectors.normalizeBackward(q, g);
            for (int k = 0; k < x.length; k++) {
                gradient[k] = 2 * x[k] * gq[k % hw];
            }
        }
        return beta / 2 * sum / hw;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttentionTransferLoss other && Double.compare(beta, other.beta) == 0;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(beta);
    }

    @Override
    public String toString() {
        return Formulas.number(beta) + "/2*mean_p(a_s - a_t)^2, a = normalize(sum_c A^2)";
    }
}
