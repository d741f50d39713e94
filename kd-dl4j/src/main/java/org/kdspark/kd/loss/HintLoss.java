package org.kdspark.kd.loss;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * FitNets hint loss: half the squared L2 distance between the regressed student feature map and the teacher's
 * feature map (the "hint").
 *
 * <p>Per example, with {@code r = regressor(student tap)} and teacher hint {@code u}, both flattened:
 * <pre>
 *   L = weight / 2 * ||u - r||^2          dL/dr = weight * (r - u)
 * </pre>
 * The regressor (a convolution whose kernel maps the student's spatial size onto the teacher's, or a dense
 * layer for flat taps) is a trainable part of the student graph; put this loss on a loss layer after it.
 * Feature maps are flattened channel-major (NCHW, c-order), as DL4J's {@code CnnToFeedForwardPreProcessor}
 * does. Labels: the teacher's feature map, as wide as the output.
 *
 * <p>The sum (not mean) over elements follows the paper's eq. (3); {@code weight} absorbs the scale.
 *
 * <p>Paper: A. Romero, N. Ballas, S. E. Kahou, A. Chassang, C. Gatta, Y. Bengio, "FitNets: Hints for Thin Deep
 * Nets", ICLR 2015, <a href="https://arxiv.org/abs/1412.6550">arXiv:1412.6550</a>, eq. (3).
 */
public final class HintLoss extends PerExampleLoss {

    private static final long serialVersionUID = 1L;

    @JsonProperty("weight")
    private final double weight;

    public HintLoss() {
        this(1.0);
    }

    /** @param weight multiplier of the half squared distance, non-negative */
    @JsonCreator
    public HintLoss(@JsonProperty("weight") double weight) {
        Checks.nonNegative("weight", weight);
        this.weight = weight;
    }

    @Override
    protected void checkWidths(long outputWidth, long labelWidth) {
        if (labelWidth != outputWidth) {
            throw new IllegalArgumentException("hint labels must be the teacher feature map, " + outputWidth
                    + " values wide like the regressor output, got " + labelWidth);
        }
    }

    @Override
    protected double example(double[] r, double[] u, double[] gradient) {
        double sum = 0;
        for (int k = 0; k < r.length; k++) {
            double d = r[k] - u[k];
            sum += d * d;
            if (gradient != null) {
                gradient[k] = weight * d;
            }
        }
        return weight / 2 * sum;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HintLoss other && Double.compare(weight, other.weight) == 0;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(weight);
    }

    @Override
    public String toString() {
        return Formulas.number(weight) + "/2*||u - r(s)||^2";
    }
}
