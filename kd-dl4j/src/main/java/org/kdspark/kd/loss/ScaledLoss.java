package org.kdspark.kd.loss;

import java.util.Objects;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * {@code weight * loss} for any DL4J loss: how an objective term gets its weight when the loss itself has no
 * weight parameter (DL4J sums the scores of a multi-output graph unweighted). Used for the hard-label
 * cross-entropy ({@code LossMCXENT}) and for the Hinton KD term.
 */
public final class ScaledLoss implements ILossFunction {

    private static final long serialVersionUID = 1L;

    @JsonProperty("weight")
    private final double weight;
    @JsonProperty("loss")
    private final ILossFunction loss;

    /** For Jackson only. */
    private ScaledLoss() {
        this(1.0, new KnowledgeDistillationLoss());
    }

    /**
     * @param weight multiplier, non-negative
     * @param loss   the loss to scale
     */
    @JsonCreator
    public ScaledLoss(@JsonProperty("weight") double weight, @JsonProperty("loss") ILossFunction loss) {
        Checks.nonNegative("weight", weight);
        this.weight = weight;
        this.loss = Objects.requireNonNull(loss, "loss");
    }

    public double weight() {
        return weight;
    }

    public ILossFunction loss() {
        return loss;
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        return weight * loss.computeScore(labels, preOutput, activationFn, mask, average);
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return loss.computeScoreArray(labels, preOutput, activationFn, mask).muli(weight);
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return loss.computeGradient(labels, preOutput, activationFn, mask).muli(weight);
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
                                                          IActivation activationFn, INDArray mask, boolean average) {
        Pair<Double, INDArray> inner = loss.computeGradientAndScore(labels, preOutput, activationFn, mask, average);
        return Pair.of(weight * inner.getFirst(), inner.getSecond().muli(weight));
    }

    @Override
    public String name() {
        return toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScaledLoss other && Double.compare(weight, other.weight) == 0 && loss.equals(other.loss);
    }

    @Override
    public int hashCode() {
        return Objects.hash(weight, loss);
    }

    @Override
    public String toString() {
        return Formulas.number(weight) + "*(" + loss + ")";
    }
}
