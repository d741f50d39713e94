package org.kdspark.kd.method;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What label building needs for one minibatch: the hard class labels and the teacher signals, each a flat
 * row-major {@code float[size * width]} (example after example, each in its per-example shape from
 * {@link TeacherShapes}), and the data type of the label arrays to build (the network's).
 */
public final class Minibatch {

    private final int[] classes;
    private final int numClasses;
    private final TeacherShapes shapes;
    private final Map<String, float[]> teacher;
    private final DataType dataType;

    /**
     * @param classes    class index of each example, in [0, numClasses)
     * @param numClasses number of classes (the width of the logits)
     * @param shapes     per-example shapes of the teacher signals
     * @param teacher    signal name to values, {@code classes.length * width} floats each
     * @param dataType   data type of the label arrays, e.g. {@code FLOAT}
     */
    public Minibatch(int[] classes, int numClasses, TeacherShapes shapes, Map<String, float[]> teacher,
                     DataType dataType) {
        for (int c : classes) {
            if (c < 0 || c >= numClasses) {
                throw new IllegalArgumentException("class label " + c + " is outside [0, " + numClasses + ")");
            }
        }
        this.classes = classes.clone();
        this.numClasses = numClasses;
        this.shapes = shapes;
        this.teacher = new HashMap<>(teacher);
        this.dataType = dataType;
        this.teacher.forEach((name, values) -> {
            long expected = (long) classes.length * shapes.width(name);
            if (values.length != expected) {
                throw new IllegalArgumentException("teacher signal " + name + " has " + values.length + " values for "
                        + classes.length + " examples of shape " + Shapes.text(shapes.shape(name)) + "; expected "
                        + expected);
            }
        });
    }

    public int size() {
        return classes.length;
    }

    public int classOf(int example) {
        return classes[example];
    }

    public int numClasses() {
        return numClasses;
    }

    public TeacherShapes shapes() {
        return shapes;
    }

    public DataType dataType() {
        return dataType;
    }

    /** The values of that signal; fails naming the signals the minibatch carries. */
    public float[] teacher(String name) {
        float[] v = teacher.get(name);
        if (v == null) {
            throw new IllegalArgumentException("the minibatch carries no teacher signal '" + name + "'; it has "
                    + teacher.keySet());
        }
        return v;
    }
}
