package org.kdspark.kd.loss;

import java.util.Objects;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * DIST: distillation from a stronger teacher by matching <em>relations</em> of predictions rather than the
 * predictions themselves, with Pearson correlation in place of KL.
 *
 * <p>With {@code Y^s = softmax(S/T)} and {@code Y^t = softmax(Tlogits/T)}, both {@code [b, C]}, and
 * {@code d_p(u, v) = 1 - pearson(u, v)}:
 * <pre>
 *   L_inter = (1/b) * sum_i d_p(Y^s[i,:], Y^t[i,:])      (each example's class distribution)
 *   L_intra = (1/C) * sum_j d_p(Y^s[:,j], Y^t[:,j])      (each class across the minibatch)
 *   L       = T^2 * (beta * L_inter + gamma * L_intra)
 * </pre>
 * The {@code T^2} factor and the correlation follow the authors' code
 * (<a href="https://github.com/hunto/DIST_KD">github.com/hunto/DIST_KD</a>, {@code losses/dist_kd.py}): the cosine
 * of the centred vectors {@code u~, v~} with {@code 1e-8} added to the product of norms,
 * {@code rho = <u~, v~> / (|u~| |v~| + 1e-8)}. The epsilon matters once predictions saturate: a class column whose
 * probabilities are all tiny then has {@code rho ~ 0} rather than its scale-free correlation. The gradient is that
 * of the same expression, {@code d rho / d u = v~ / D - rho * |v~| * u~ / (|u~| D)} with
 * {@code D = |u~| |v~| + 1e-8}; the softmax is then back-propagated. A constant student column gets
 * {@code v~ / 1e-8}, and a column constant in both (every column of a minibatch of one) has {@code rho = 0}: it
 * contributes {@code d_p = 1} with zero gradient, while the inter-class term of a single example is as usual.
 *
 * <p>Relational: {@code L_intra} couples the examples of a minibatch (see {@link MinibatchLoss} for how the
 * batch loss is reported to DL4J). Labels: teacher logits, {@code [mb, C]}. Use on a layer with
 * {@code Activation.IDENTITY}.
 *
 * <p>Paper: T. Huang, S. You, F. Wang, C. Qian, C. Xu, "Knowledge Distillation from A Stronger Teacher",
 * NeurIPS 2022, <a href="https://arxiv.org/abs/2205.10536">arXiv:2205.10536</a>, eqs. (7)-(10).
 */
public final class DistLoss extends MinibatchLoss {

    private static final long serialVersionUID = 1L;

    /** The {@code eps} of the authors' {@code pearson_correlation}, added to the product of the centred norms. */
    static final double PEARSON_EPS = 1e-8;

    @JsonProperty("beta")
    private final double beta;
    @JsonProperty("gamma")
    private final double gamma;
    @JsonProperty("temperature")
    private final double temperature;

    /** The authors' defaults: beta = gamma = 1, T = 1. */
    public DistLoss() {
        this(1.0, 1.0, 1.0);
    }

    /**
     * @param beta        weight of the inter-class (per-example) relation, non-negative
     * @param gamma       weight of the intra-class (per-class, across the batch) relation, non-negative
     * @param temperature softmax temperature, positive
     */
    @JsonCreator
    public DistLoss(@JsonProperty("beta") double beta, @JsonProperty("gamma") double gamma,
                    @JsonProperty("temperature") double temperature) {
        Checks.nonNegative("beta", beta);
        Checks.nonNegative("gamma", gamma);
        Checks.positive("temperature", temperature);
        this.beta = beta;
        this.gamma = gamma;
        this.temperature = temperature;
    }

    @Override
    protected void checkWidths(long outputWidth, long labelWidth) {
        if (labelWidth != outputWidth) {
            throw new IllegalArgumentException("DIST labels must be the teacher logits, " + outputWidth
                    + " wide like the output, got " + labelWidth);
        }
    }

    /** A single example still has its inter-class relation; its class columns each add {@code d_p = 1}. */
    @Override
    protected int minimumBatch() {
        return 1;
    }

    @Override
    protected double batch(double[][] s, double[][] t, double[][] gradient) {
        int b = s.length;
        int c = s[0].length;
        double[][] ys = new double[b][];
        double[][] yt = new double[b][];
        for (int i = 0; i < b; i++) {
            ys[i] = Softmax.of(s[i], temperature);
            yt[i] = Softmax.of(t[i], temperature);
        }
        double t2 = temperature * temperature;
        double[][] gY = gradient == null ? null : new double[b][c];
        double inter = 0;
        for (int i = 0; i < b; i++) {
            inter += 1 - Vectors.pearson(ys[i], yt[i], PEARSON_EPS, gY == null ? null : gY[i], -t2 * beta / b);
        }
        double intra = 0;
        double[] column = new double[b];
        double[] teacherColumn = new double[b];
        double[] columnGradient = new double[b];
        for (int j = 0; j < c; j++) {
            for (int i = 0; i < b; i++) {
                column[i] = ys[i][j];
                teacherColumn[i] = yt[i][j];
            }
            java.util.Arrays.fill(columnGradient, 0);
            intra += 1 - Vectors.pearson(column, teacherColumn, PEARSON_EPS, gY == null ? null : columnGradient,
                    -t2 * gamma / c);
            if (gY != null) {
                for (int i = 0; i < b; i++) {
                    gY[i][j] += columnGradient[i];
                }
            }
        }
        if (gradient != null) {
            for (int i = 0; i < b; i++) {
                Vectors.softmaxBackward(ys[i], gY[i], temperature, gradient[i]);
            }
        }
        return t2 * (beta * inter / b + gamma * intra / c);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DistLoss other && Double.compare(beta, other.beta) == 0
                && Double.compare(gamma, other.gamma) == 0 && Double.compare(temperature, other.temperature) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(beta, gamma, temperature);
    }

    @Override
    public String toString() {
        String t = Formulas.number(temperature);
        return t + "^2*(" + Formulas.number(beta) + "*(1-pearson_rows) + " + Formulas.number(gamma)
                + "*(1-pearson_cols))(softmax(s/" + t + "), softmax(t/" + t + "))";
    }
}
