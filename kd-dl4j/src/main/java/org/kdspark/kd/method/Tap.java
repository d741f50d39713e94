package org.kdspark.kd.method;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named activation of the student graph: the vertex that produces it and its shape per example, either
 * {@code [features]} or {@code [channels, height, width]} (NCHW, flattened channel-major where flattened).
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
        return Shapes.width(shape);
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
