package org.kdspark.kd.loss;

import java.util.Locale;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Hinton's knowledge-distillation loss on raw logits.
 *
 * <pre>
 *   L(s) = alpha * CE(y, softmax(s)) + (1 - alpha) * T^2 * KL(softmax(t / T) || softmax(s / T))
 *   dL/ds = alpha * (softmax(s) - y) + (1 - alpha) * T * (softmax(s / T) - softmax(t / T))
 * </pre>
 *
 * where s are the student's logits (the pre-output of an IDENTITY output layer), y the one-hot label and t the
 * teacher's logits. The soft term's gradient scales as 1/T^2, so multiplying by T^2 keeps the two terms'
 * relative weight independent of T (Hinton, Vinyals and Dean 2015, "Distilling the Knowledge in a Neural
 * Network", arXiv:1503.02531, section 2).
 *
 * <p>Labels are {@code [mb, 2K]} = {@code [one-hot y | teacher logits t]} for K classes. Labels of width K
 * (one-hot only) give plain cross-entropy: the hard-label baseline with the identical network. Stateless:
 * one instance is shared by all worker threads. Config:
 * <pre>
 *   distill: {method: kd, temperature: 4.0, alpha: 0.5}
 * </pre>
 */
public class KnowledgeDistillationLoss implements ILossFunction {

    private static final long serialVersionUID = 1L;

    @JsonProperty("alpha")
    private double alpha;
    @JsonProperty("temperature")
    private double temperature;

    /** For JSON deserialisation. */
    public KnowledgeDistillationLoss() {
        this(0.5, 4.0);
    }

    public KnowledgeDistillationLoss(@JsonProperty("alpha") double alpha, @JsonProperty("temperature") double temperature) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
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
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask, boolean average) {
        INDArray perExample = computeScoreArray(labels, preOutput, activationFn, mask);
        double sum = perExample.sumNumber().doubleValue();
        return average ? sum / perExample.size(0) : sum;
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        Parts p = parts(labels, preOutput, activationFn);
        // CE = -sum y * log softmax(s)
        INDArray score = p.y.mul(logSoftmax(p.s, 1.0)).sum(true, 1).negi().muli(p.hardWeight);
        if (p.t != null) {
            INDArray logPt = logSoftmax(p.t, temperature);
            INDArray logPs = logSoftmax(p.s, temperature);
            INDArray kl = Transforms.exp(logPt, true).muli(logPt.sub(logPs)).sum(true, 1);
            score.addi(kl.muli((1 - alpha) * temperature * temperature));
        }
        return applyMask(score, mask);
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        Parts p = parts(labels, preOutput, activationFn);
        INDArray grad = Transforms.softmax(p.s, true).subi(p.y).muli(p.hardWeight);
        if (p.t != null) {
            INDArray soft = Transforms.softmax(p.s.div(temperature), false).subi(Transforms.softmax(p.t.div(temperature), false));
            grad.addi(soft.muli((1 - alpha) * temperature));
        }
        // the activation is IDENTITY by contract; backprop through it anyway so any activation stays correct
        INDArray dLdz = activationFn.backprop(preOutput.dup(), grad).getFirst();
        return applyMask(dLdz, mask);
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
            boolean average) {
        return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average), computeGradient(labels, preOutput, activationFn, mask));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KnowledgeDistillationLoss k && k.alpha == alpha && k.temperature == temperature;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(alpha) * 31 + Double.hashCode(temperature);
    }

    @Override
    public String name() {
        return toString();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s*CE(y,s) + %s*%s^2*KL(softmax(t/%s)||softmax(s/%s))", num(alpha), num(1 - alpha),
                num(temperature), num(temperature), num(temperature));
    }

    private Parts parts(INDArray labels, INDArray preOutput, IActivation activationFn) {
        long k = preOutput.size(1);
        long width = labels.size(1);
        INDArray s = activationFn.getActivation(preOutput.dup(), true);
        if (width == k) {
            return new Parts(s, labels, null, 1.0);
        }
        if (width != 2 * k) {
            throw new IllegalArgumentException("KD labels must be [one-hot (" + k + ") | teacher logits (" + k + ")] = " + (2 * k)
                    + " columns, or " + k + " columns of one-hot labels for plain cross-entropy; got " + width);
        }
        INDArray y = labels.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, k));
        INDArray t = labels.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(k, 2 * k));
        return new Parts(s, y, t, alpha);
    }

    /** log softmax(x / T) per row, stable. */
    private static INDArray logSoftmax(INDArray x, double t) {
        INDArray z = x.div(t);
        INDArray max = z.max(true, 1);
        INDArray shifted = z.subiColumnVector(max);
        INDArray logSum = Transforms.log(Transforms.exp(shifted, true).sum(true, 1), false);
        return shifted.subiColumnVector(logSum);
    }

    private static INDArray applyMask(INDArray a, INDArray mask) {
        if (mask == null) {
            return a;
        }
        if (mask.size(1) != 1) {
            throw new IllegalArgumentException("per-output masks are not supported by " + KnowledgeDistillationLoss.class.getSimpleName()
                    + "; use a per-example mask of shape [mb, 1]");
        }
        return a.muliColumnVector(mask.castTo(a.dataType()));
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%s", v);
    }

    private record Parts(INDArray s, INDArray y, INDArray t, double hardWeight) {
    }
}
