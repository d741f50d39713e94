package org.kdspark.kd.loss;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * The DL4J plumbing shared by this package's losses: activation forward and backward, masks, averaging and
 * the trip from {@link INDArray} to plain {@code double} rows and back.
 *
 * <p>Subclasses see only the post-activation output and the labels as {@code double[mb][width]} and return
 * one score per row plus {@code d(sum of scores)/d(output)}. Keeping the math on plain doubles makes each loss
 * readable next to its paper and exact regardless of the network's data type; the arrays involved (logits,
 * a feature map, an embedding per example) are small next to the network's own work.
 */
public abstract class AnalyticLoss implements ILossFunction {

    private static final long serialVersionUID = 1L;

    /** Per-row scores (already weighted by the mask) and, when asked for, d(sum of scores)/d(output). */
    protected record Evaluation(double[] scores, double[][] gradient) {}

    /**
     * Scores every row and, if {@code withGradient}, fills the gradient with respect to the output.
     *
     * @param output post-activation output, {@code [mb][outputWidth]}
     * @param labels labels, {@code [mb][labelWidth]}, width already checked by {@link #checkWidths}
     * @param mask   per-row mask values, length {@code mb}; all ones when the layer has no mask
     */
    protected abstract Evaluation evaluate(double[][] output, double[][] labels, double[] mask, boolean withGradient);

    /** Throws {@link IllegalArgumentException} naming the expected widths if the labels cannot belong to the output. */
    protected abstract void checkWidths(long outputWidth, long labelWidth);

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        Evaluation e = run(labels, preOutput, activationFn, mask, false);
        return Nd4j.create(e.scores(), new long[] {e.scores().length, 1}, DataType.DOUBLE).castTo(preOutput.dataType());
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        return total(run(labels, preOutput, activationFn, mask, false).scores(), average);
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return backprop(run(labels, preOutput, activationFn, mask, true), preOutput, activationFn);
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
                                                          IActivation activationFn, INDArray mask, boolean average) {
        Evaluation e = run(labels, preOutput, activationFn, mask, true);
        return Pair.of(total(e.scores(), average), backprop(e, preOutput, activationFn));
    }

    @Override
    public String name() {
        return toString();
    }

    private Evaluation run(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                           boolean withGradient) {
        if (preOutput.rank() != 2 || labels.rank() != 2) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " expects 2-d output and labels, got "
                    + java.util.Arrays.toString(preOutput.shape()) + " and " + java.util.Arrays.toString(labels.shape())
                    + " (flatten feature maps with a CnnToFeedForwardPreProcessor)");
        }
        if (labels.size(0) != preOutput.size(0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": labels have " + labels.size(0)
                    + " rows but the output has " + preOutput.size(0));
        }
        checkWidths(preOutput.size(1), labels.size(1));
        INDArray output = activationFn.getActivation(preOutput.dup(), true);
        return evaluate(output.toDoubleMatrix(), labels.toDoubleMatrix(), maskValues(mask, preOutput.size(0)),
                withGradient);
    }

    private static double[] maskValues(INDArray mask, long rows) {
        double[] values = new double[Math.toIntExact(rows)];
        if (mask == null) {
            java.util.Arrays.fill(values, 1.0);
            return values;
        }
        if (mask.length() != rows) {
            throw new IllegalArgumentException("only per-example masks of shape [" + rows + ", 1] are supported, got "
                    + java.util.Arrays.toString(mask.shape()));
        }
        return mask.reshape(rows).toDoubleVector();
    }

    private static double total(double[] scores, boolean average) {
        double sum = 0;
        for (double s : scores) {
            sum += s;
        }
        return average ? sum / scores.length : sum;
    }

    private static INDArray backprop(Evaluation e, INDArray preOutput, IActivation activationFn) {
        INDArray dLdOutput = Nd4j.create(e.gradient()).castTo(preOutput.dataType());
        return activationFn.backprop(preOutput.dup(), dLdOutput).getFirst();
    }
}
