package org.kdspark.kd.loss;

import java.util.Arrays;
import java.util.Objects;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Hinton's knowledge-distillation loss: hard-label cross-entropy plus the KL divergence between the teacher's
 * and the student's softened class distributions.
 *
 * <p>Per example, with student logits {@code s}, one-hot label {@code y} and teacher logits {@code t}:
 * <pre>
 *   L = alpha * CE(y, softmax(s)) + (1 - alpha) * T^2 * KL(softmax(t/T) || softmax(s/T))
 *   dL/ds = alpha * (softmax(s) - y) + (1 - alpha) * T * (softmax(s/T) - softmax(t/T))
 * </pre>
 * (the CE gradient is {@code softmax(s) * sum(y) - y}, which is the above for a one-hot {@code y}).
 *
 * <p>Why {@code T^2}: the gradient of the soft term scales as {@code 1/T} through each logit and as another
 * {@code 1/T} through the smaller differences between softened probabilities, so it shrinks like
 * {@code 1/T^2}. Multiplying by {@code T^2} keeps the relative contribution of hard and soft targets roughly
 * unchanged when the temperature is tuned (Hinton et al., section 2).
 *
 * <p>Labels are {@code [mb, 2C]} = {@code [one-hot y | teacher logits t]} where {@code C} is the output width.
 * Labels of width exactly {@code C} carry no teacher and give plain cross-entropy: this is the
 * {@code none} baseline, trained with the identical graph. Put the loss on a layer with
 * {@code Activation.IDENTITY}: it applies softmax itself, stably (log-softmax with the maximum subtracted).
 *
 * <p>Paper: G. Hinton, O. Vinyals, J. Dean, "Distilling the Knowledge in a Neural Network", NIPS 2014 Deep
 * Learning Workshop, <a href="https://arxiv.org/abs/1503.02531">arXiv:1503.02531</a> (2015).
 */
public final class KnowledgeDistillationLoss extends PerExampleLoss {

    private static final long serialVersionUID = 1L;

    /** Weight of the hard-label cross-entropy; the soft term gets {@code 1 - alpha}. */
    @JsonProperty("alpha")
    private final double alpha;

    /** Softmax temperature {@code T} of the soft term. */
    @JsonProperty("temperature")
    private final double temperature;

    /** alpha = 0.5, T = 4: a common starting point for small image classifiers. */
    public KnowledgeDistillationLoss() {
        this(0.5, 4.0);
    }

    /**
     * @param alpha       weight of the hard-label cross-entropy, in [0, 1]
     * @param temperature softmax temperature, positive
     */
    @JsonCreator
    public KnowledgeDistillationLoss(@JsonProperty("alpha") double alpha,
                                     @JsonProperty("temperature") double temperature) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be positive and finite, got " + temperature);
        }
        this.alpha = alpha;
        this.temperature = temperature;
    }

    public double alpha() {
        return alpha;
    }

    public double temperature() {
        return temperature;
    }

    @Override
    protected void checkWidths(long outputWidth, long labelWidth) {
        if (labelWidth != outputWidth && labelWidth != 2 * outputWidth) {
            throw new IllegalArgumentException("KD labels must be " + outputWidth + " wide (one-hot only: plain CE) or "
                    + 2 * outputWidth + " wide ([one-hot | teacher logits]) for an output of width " + outputWidth
                    + ", got " + labelWidth);
        }
    }

    @Override
    protected double example(double[] s, double[] label, double[] gradient) {
        int c = s.length;
        double[] logP = Softmax.log(s, 1.0);
        double labelMass = 0;
        double ce = 0;
        for (int k = 0; k < c; k++) {
            labelMass += label[k];
            if (label[k] != 0) {
                ce -= label[k] * logP[k];
            }
        }
        boolean hasTeacher = label.length == 2 * c;
        double hardWeight = hasTeacher ? alpha : 1.0;
        if (gradient != null) {
            for (int k = 0; k < c; k++) {
                gradient[k] = hardWeight * (Math.exp(logP[k]) * labelMass - label[k]);
            }
        }
        if (!hasTeacher) {
            return ce;
        }
        double[] logQs = Softmax.log(s, temperature);
        double[] logQt = Softmax.log(Arrays.copyOfRange(label, c, 2 * c), temperature);
        double kl = 0;
        for (int k = 0; k < c; k++) {
            double qt = Math.exp(logQt[k]);
            if (qt > 0) {   // 0 * log 0 = 0: a class the teacher rules out entirely adds nothing
                kl += qt * (logQt[k] - logQs[k]);
            }
        }
        double softWeight = (1 - alpha) * temperature * temperature;
        if (gradient != null) {
            for (int k = 0; k < c; k++) {
                gradient[k] += (1 - alpha) * temperature * (Math.exp(logQs[k]) - Math.exp(logQt[k]));
            }
        }
        return alpha * ce + softWeight * kl;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KnowledgeDistillationLoss other
                && Double.compare(alpha, other.alpha) == 0 && Double.compare(temperature, other.temperature) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(alpha, temperature);
    }

    @Override
    public String toString() {
        String t = Formulas.number(temperature);
        return Formulas.number(alpha) + "*CE(y,s) + " + Formulas.number(1 - alpha) + "*" + t + "^2*KL(softmax(t/" + t
                + ")||softmax(s/" + t + "))";
    }
}
