package org.kdspark.kd.method;

import java.util.Arrays;

/** Per-example shape arithmetic. */
final class Shapes {

    private Shapes() {
    }

    static int width(int[] shape) {
        long w = 1;
        for (int d : shape) {
            w *= d;
        }
        return Math.toIntExact(w);
    }

    static String text(int[] shape) {
        return Arrays.toString(shape);
    }
}
