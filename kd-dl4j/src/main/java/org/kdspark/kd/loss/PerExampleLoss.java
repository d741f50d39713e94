package org.kdspark.kd.loss;

/**
 * A loss that is a sum of independent per-example terms; a row's mask value weights its term.
 */
public abstract class PerExampleLoss extends AnalyticLoss {

    private static final long serialVersionUID = 1L;

    /**
     * The loss of one example.
     *
     * @param output   the example's post-activation output
     * @param label    the example's label row
     * @param gradient {@code null}, or an array of {@code output.length} zeros to receive dLoss/dOutput
     * @return the example's loss
     */
    protected abstract double example(double[] output, double[] label, double[] gradient);

    @Override
    protected final Evaluation evaluate(double[][] output, double[][] labels, double[] mask, boolean withGradient) {
        int rows = output.length;
        double[] scores = new double[rows];
        double[][] gradient = withGradient ? new double[rows][output.length == 0 ? 0 : output[0].length] : null;
        for (int i = 0; i < rows; i++) {
            if (mask[i] == 0) {
                continue;   // masked rows contribute nothing, and their output may be garbage (padding)
            }
            scores[i] = mask[i] * example(output[i], labels[i], withGradient ? gradient[i] : null);
            if (withGradient && mask[i] != 1) {
                for (int j = 0; j < gradient[i].length; j++) {
                    gradient[i][j] *= mask[i];
                }
            }
        }
        return new Evaluation(scores, gradient);
    }
}
