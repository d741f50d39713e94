package org.kdspark.kd.loss;

import java.util.Arrays;
import java.util.Objects;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Decoupled knowledge distillation (DKD): Hinton's KL split into a target-class term (TCKD) and a
 * non-target-class term (NCKD) with independent weights.
 *
 * <p>With {@code p = softmax(s/T)}, {@code q = softmax(t/T)}, target class {@code g}, the binary distributions
 * {@code b(p) = [p_g, 1 - p_g]} and the distributions among the non-target classes
 * {@code p^_k = p_k / (1 - p_g)}, {@code k != g}, per example:
 * <pre>
 *   TCKD = KL(b(q) || b(p))
 *   NCKD = KL(q^ || p^)
 *   L    = T^2 * (alpha * TCKD + beta * NCKD)
 *   dL/ds_g = T * alpha * (p_g - q_g)
 *   dL/ds_k = T * (alpha * p^_k * (q_g - p_g) + beta * (p^_k - q^_k))      for k != g
 * </pre>
 * The hard-label cross-entropy is not part of this loss (the paper adds it separately, as the objective's
 * {@code ce} term does here), nor is the paper's linear warm-up of the DKD weight over the first epochs.
 * The {@code T^2} factor follows the authors' code (mdistiller).
 *
 * <p>Labels: {@code [one-hot y | teacher logits t]}, {@code [mb, 2C]}; the target is the arg-max of {@code y}.
 * Use on a layer with {@code Activation.IDENTITY}.
 *
 * <p>Paper: B. Zhao, Q. Cui, R. Song, Y. Qiu, J. Liang, "Decoupled Knowledge Distillation", CVPR 2022,
 * <a href="https://arxiv.org/abs/2203.08679">arXiv:2203.08679</a>, eq. (7).
 */
public final class DecoupledKnowledgeDistillationLoss extends PerExampleLoss {

    private static final long serialVersionUID = 1L;

    @JsonProperty("alpha")
    private final double alpha;
    @JsonProperty("beta")
    private final double beta;
    @JsonProperty("temperature")
    private final double temperature;

    /** The paper's CIFAR-100 setting: alpha = 1, beta = 8, T = 4. */
    public DecoupledKnowledgeDistillationLoss() {
        this(1.0, 8.0, 4.0);
    }

    /**
     * @param alpha       weight of TCKD, non-negative
     * @param beta        weight of NCKD, non-negative
     * @param temperature softmax temperature, positive
     */
    @JsonCreator
    public DecoupledKnowledgeDistillationLoss(@JsonProperty("alpha") double alpha, @JsonProperty("beta") double beta,
                                              @JsonProperty("temperature") double temperature) {
        Checks.nonNegative("alpha", alpha);
        Checks.nonNegative("beta", beta);
        Checks.positive("temperature", temperature);
        this.alpha = alpha;
        this.beta = beta;
        this.temperature = temperature;
    }

    @Override
    protected void checkWidths(long outputWidth, long labelWidth) {
        if (labelWidth != 2 * outputWidth || outputWidth < 2) {
            throw new IllegalArgumentException("DKD labels must be " + 2 * outputWidth
                    + " wide ([one-hot | teacher logits]) for an output of width " + outputWidth + " (at least 2 classes)"
                    + ", got " + labelWidth);
        }
    }

    @Override
    protected double example(double[] s, double[] label, double[] gradient) {
        int c = s.length;
        int g = Vectors.argmax(label, 0, c);
        double[] t = Arrays.copyOfRange(label, c, 2 * c);
        double[] logP = Softmax.log(s, temperature);
        double[] logQ = Softmax.log(t, temperature);
        double logRestP = Vectors.logSumExpExcept(logP, g);   // log(1 - p_g), without cancellation
        double logRestQ = Vectors.logSumExpExcept(logQ, g);
        double pg = Math.exp(logP[g]);
        double qg = Math.exp(logQ[g]);
        double tckd = xLogXOverY(qg, logQ[g], logP[g]) + xLogXOverY(Math.exp(logRestQ), logRestQ, logRestP);
        double nckd = 0;
        for (int k = 0; k < c; k++) {
            if (k != g) {
                nckd += xLogXOverY(Math.exp(logQ[k] - logRestQ), logQ[k] - logRestQ, logP[k] - logRestP);
            }
        }
        if (gradient != null) {
            for (int k = 0; k < c; k++) {
                if (k == g) {
                    gradient[k] = temperature * alpha * (pg - qg);
                } else {
                    double pHat = Math.exp(logP[k] - logRestP);
                    double qHat = Math.exp(logQ[k] - logRestQ);
                    gradient[k] = temperature * (alpha * pHat * (qg - pg) + beta * (pHat - qHat));
                }
            }
        }
        return temperature * temperature * (alpha * tckd + beta * nckd);
    }

    /** {@code x * (log x - log y)} with {@code 0 log 0 = 0}. */
    private static double xLogXOverY(double x, double logX, double logY) {
        return x > 0 ? x * (logX - logY) : 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecoupledKnowledgeDistillationLoss other && Double.compare(alpha, other.alpha) == 0
                && Double.compare(beta, other.beta) == 0 && Double.compare(temperature, other.temperature) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(alpha, beta, temperature);
    }

    @Override
    public String toString() {
        String t = Formulas.number(temperature);
        return t + "^2*(" + Formulas.number(alpha) + "*TCKD + " + Formulas.number(beta) + "*NCKD)(t/" + t + ", s/"
                + t + ")";
    }
}
