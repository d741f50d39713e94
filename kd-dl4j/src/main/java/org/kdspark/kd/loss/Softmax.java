package org.kdspark.kd.loss;

/** Numerically stable softmax helpers on plain doubles (the maximum is subtracted before exponentiating). */
final class Softmax {

    private Softmax() {
    }

    /** {@code log softmax(x / temperature)}. */
    static double[] log(double[] x, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v / temperature);
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v / temperature - max);
        }
        double logSum = max + Math.log(sum);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] / temperature - logSum;
        }
        return out;
    }

    /** {@code softmax(x / temperature)}. */
    static double[] of(double[] x, double temperature) {
        double[] out = log(x, temperature);
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.exp(out[i]);
        }
        return out;
    }
}
