package org.kdspark.kd.zoo;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named activation of a graph (a feature tap): the vertex that produces it and its shape per example, either
 * {@code [features]} or {@code [channels, height, width]} (NCHW, flattened channel-major where flattened). The zoo
 * reports its models' taps with this type, and the distillation methods read student taps through it.
 */
public final class Tap implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    private final String vertex;
    private final int[] shape;

    public Tap(String vertex, int... shape) {
        this.vertex = Objects.requireNonNull(vertex, "vertex");
        if (shape.length != 1 && shape.length != 3) {
            throw new IllegalArgumentException("tap " + vertex + ": shape must be [features] or [channels, height,"
                    + " width], got " + Arrays.toString(shape));
        }
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("tap " + vertex + ": shape must be positive, got "
                        + Arrays.toString(shape));
            }
        }
        this.shape = shape.clone();
    }

    public String vertex() {
        return vertex;
    }

    public int[] shape() {
        return shape.clone();
    }

    /** Values per example. */
    public int width() {
        return valuesPerExample(shape);
    }

    /** The number of values in one example of that shape. */
    public static int valuesPerExample(int[] shape) {
        long w = 1;
        for (int d : shape) {
            w *= d;
        }
        return Math.toIntExact(w);
    }

    public boolean isFeatureMap() {
        return shape.length == 3;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tap t && vertex.equals(t.vertex) && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return 31 * vertex.hashCode() + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return vertex + Arrays.toString(shape);
    }
}
