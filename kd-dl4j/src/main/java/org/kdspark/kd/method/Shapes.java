package org.kdspark.kd.method;

import java.util.Arrays;

/** Per-example shape arithmetic. */
final class Shapes {

    private Shapes() {
    }

    static String text(int[] shape) {
        return Arrays.toString(shape);
    }
}
