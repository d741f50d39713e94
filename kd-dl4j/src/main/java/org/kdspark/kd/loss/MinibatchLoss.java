package org.kdspark.kd.loss;

/**
 * A relational loss: one value for the whole minibatch, coupling its examples (each example's gradient depends
 * on the others). Rows whose mask is 0 are left out of the relation.
 *
 * <p>DL4J averages per-row scores and divides gradients by the minibatch size {@code mb}. To make the trained
 * objective equal the paper's batch loss {@code L}, the batch loss is spread evenly over the active rows so that
 * the rows sum to {@code mb * L}, and the gradient returned is {@code mb * dL/dx}. A per-row score of a
 * relational loss is therefore a bookkeeping share, not a property of that example.
 */
public abstract class MinibatchLoss extends AnalyticLoss {

    private static final long serialVersionUID = 1L;

    /**
     * The loss of a batch.
     *
     * @param output   post-activation outputs of the active rows, {@code [b][width]}
     * @param labels   their labels
     * @param gradient {@code null}, or zeros of {@code output}'s shape to receive dL/dOutput
     * @return the batch loss {@code L}
     */
    protected abstract double batch(double[][] output, double[][] labels, double[][] gradient);

    /** The smallest batch on which the relation is defined; smaller batches have loss 0. */
    protected int minimumBatch() {
        return 2;
    }

    @Override
    protected final Evaluation evaluate(double[][] output, double[][] labels, double[] mask, boolean withGradient) {
        int rows = output.length;
        int width = rows == 0 ? 0 : output[0].length;
        int[] active = java.util.stream.IntStream.range(0, rows).filter(i -> mask[i] != 0).toArray();
        double[] scores = new double[rows];
        double[][] gradient = withGradient ? new double[rows][width] : null;
        if (active.length < minimumBatch()) {
            return new Evaluation(scores, gradient);
        }
        double[][] out = new double[active.length][];
        double[][] lab = new double[active.length][];
        for (int a = 0; a < active.length; a++) {
            out[a] = output[active[a]];
            lab[a] = labels[active[a]];
        }
        double[][] g = withGradient ? new double[active.length][width] : null;
        double loss = batch(out, lab, g);
        for (int a = 0; a < active.length; a++) {
            scores[active[a]] = loss * rows / active.length;
            if (withGradient) {
                for (int j = 0; j < width; j++) {
                    gradient[active[a]][j] = g[a][j] * rows;
                }
            }
        }
        return new Evaluation(scores, gradient);
    }
}
