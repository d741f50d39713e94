package org.kdspark.kd.method;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.kdspark.kd.zoo.Tap;

/**
 * The per-example shapes of the teacher signals held by the soft-label store: {@code logits} ({@code [C]}) and
 * named feature taps ({@code [features]}, {@code [channels, height, width]}, or {@code [height, width]} for an
 * attention map stored precomputed). Feature maps are stored channel-major (C, H, W row-major).
 */
public final class TeacherShapes implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    private final Map<String, int[]> shapes;

    public TeacherShapes(Map<String, int[]> shapes) {
        this.shapes = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            if (shape.length < 1 || shape.length > 3 || java.util.Arrays.stream(shape).anyMatch(d -> d <= 0)) {
                throw new IllegalArgumentException("teacher signal " + name + ": shape must be 1 to 3 positive"
                        + " dimensions, got " + Shapes.text(shape));
            }
            this.shapes.put(name, shape.clone());
        });
    }

    /** The shape of that signal; fails naming the signals there are. */
    public int[] shape(String name) {
        int[] s = shapes.get(name);
        if (s == null) {
            throw new IllegalArgumentException("the teacher store has no signal '" + name + "'; it has "
                    + shapes.keySet());
        }
        return s.clone();
    }

    public int width(String name) {
        return Tap.valuesPerExample(shape(name));
    }

    @Override
    public String toString() {
        return shapes.entrySet().stream().map(e -> e.getKey() + Shapes.text(e.getValue()))
                .collect(Collectors.joining(", ", "{", "}"));
    }
}
