package org.kdspark.kd.loss;

/** Small dense-vector helpers, with the backward passes the relational and feature losses share. */
final class Vectors {

    /** The floor that torch's {@code F.normalize} puts under a norm; reproduced so values match reference code. */
    static final double NORMALIZE_EPS = 1e-12;

    private Vectors() {
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    /** {@code f * v}, a new array. */
    static double[] scaled(double[] v, double f) {
        double[] out = new double[v.length];
        for (int k = 0; k < v.length; k++) {
            out[k] = v[k] * f;
        }
        return out;
    }

    /** {@code v / max(||v||, 1e-12)}, as {@code F.normalize}. */
    static double[] normalize(double[] v) {
        double n = Math.max(norm(v), NORMALIZE_EPS);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] / n;
        }
        return out;
    }

    /**
     * Gradient with respect to {@code v} of a function of {@code normalize(v)}, given the gradient {@code g} with
     * respect to {@code normalize(v)}: {@code (g - u <u, g>) / ||v||}, or {@code g / 1e-12} below the floor.
     */
    static double[] normalizeBackward(double[] v, double[] g) {
        double n = norm(v);
        double[] out = new double[v.length];
        if (n <= NORMALIZE_EPS) {
            for (int i = 0; i < v.length; i++) {
                out[i] = g[i] / NORMALIZE_EPS;
            }
            return out;
        }
        double ug = dot(v, g) / n;
        for (int i = 0; i < v.length; i++) {
            out[i] = (g[i] - v[i] / n * ug) / n;
        }
        return out;
    }

    /** Smooth L1 (Huber with delta 1), as torch's {@code smooth_l1_loss}. */
    static double huber(double x) {
        double a = Math.abs(x);
        return a < 1 ? 0.5 * x * x : a - 0.5;
    }

    static double huberDerivative(double x) {
        return Math.max(-1, Math.min(1, x));
    }

    /**
     * Pearson correlation of {@code a} and {@code b} as the cosine of the centred vectors, with {@code eps} added to
     * the product of their norms: {@code rho = <a~, b~> / (|a~| |b~| + eps)}. If {@code gradA} is not null, adds
     * {@code scale * d rho / d a} to it, the exact derivative of that expression:
     * {@code b~ / D - rho * |b~| * a~ / (|a~| D)} with {@code D = |a~| |b~| + eps}. As {@code |a~| -> 0} the second
     * term vanishes (it is bounded by {@code |b~|^2 |a~| / D^2}), so a constant {@code a} has gradient
     * {@code b~ / eps}. With {@code eps = 0} a constant vector has no defined correlation: it counts as 0 with zero
     * gradient.
     */
    static double pearson(double[] a, double[] b, double eps, double[] gradA, double scale) {
        int n = a.length;
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < n; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= n;
        mb /= n;
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < n; i++) {
            double da = a[i] - ma;
            double db = b[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        double na = Math.sqrt(saa);
        double nb = Math.sqrt(sbb);
        double d = na * nb + eps;
        if (d < 1e-300) {
            return 0;
        }
        double rho = sab / d;
        if (gradA != null) {
            // the centred vectors sum to zero, so the centring needs no extra projection here
            double normTerm = na > 0 ? rho * nb / d : 0;
            for (int i = 0; i < n; i++) {
                double da = a[i] - ma;
                gradA[i] += scale * ((b[i] - mb) / d - (na > 0 ? normTerm * (da / na) : 0));
            }
        }
        return rho;
    }

    /** {@code log(sum(exp(x[i])))} over {@code i != skip}, stably. */
    static double logSumExpExcept(double[] x, int skip) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) {
            if (i != skip) {
                max = Math.max(max, x[i]);
            }
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            if (i != skip) {
                s += Math.exp(x[i] - max);
            }
        }
        return max + Math.log(s);
    }

    static int argmax(double[] x, int from, int to) {
        int best = from;
        for (int i = from + 1; i < to; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best - from;
    }

    /** {@code x x^T}. */
    static double[][] gram(double[][] x) {
        int b = x.length;
        double[][] g = new double[b][b];
        for (int i = 0; i < b; i++) {
            for (int j = i; j < b; j++) {
                g[i][j] = dot(x[i], x[j]);
                g[j][i] = g[i][j];
            }
        }
        return g;
    }

    /** {@code (g + g^T) x}: the gradient with respect to {@code x} of a function of {@code x x^T}. */
    static double[][] gramBackward(double[][] x, double[][] g) {
        int b = x.length;
        int d = b == 0 ? 0 : x[0].length;
        double[][] out = new double[b][d];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                double w = g[i][j] + g[j][i];
                if (w != 0) {
                    double[] xj = x[j];
                    double[] oi = out[i];
                    for (int k = 0; k < d; k++) {
                        oi[k] += w * xj[k];
                    }
                }
            }
        }
        return out;
    }

    /** Softmax backward: {@code dL/dz = y * (g - <g, y>) / temperature} for {@code y = softmax(z / T)}. */
    static void softmaxBackward(double[] y, double[] g, double temperature, double[] out) {
        double gy = dot(g, y);
        for (int i = 0; i < y.length; i++) {
            out[i] = y[i] * (g[i] - gy) / temperature;
        }
    }
}
