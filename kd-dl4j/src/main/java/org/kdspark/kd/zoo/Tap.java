package org.kdspark.kd.zoo;

import java.util.Arrays;

/**
 * A named feature tap: a vertex of the graph whose activations are exposed (for hint/feature distillation,
 * embeddings, inspection).
 *
 * @param name  the vertex name
 * @param shape per-example output shape: {@code [C, H, W]} for convolutional taps, {@code [D]} for vectors
 */
public record Tap(String name, long[] shape) {

    public Tap {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Values per example. */
    public long size() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public boolean isConvolutional() {
        return shape.length == 3;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tap t && t.name.equals(name) && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
