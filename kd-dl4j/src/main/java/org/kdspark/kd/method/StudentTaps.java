package org.kdspark.kd.method;

import java.util.LinkedHashMap;
import java.util.Map;
import org.kdspark.kd.zoo.Tap;

/**
 * The student's named taps. {@value #LOGITS} is required: the raw class scores, from a layer with
 * {@code Activation.IDENTITY}. Other names (e.g. {@code block2}, {@code embedding}) are the feature taps that
 * feature- and relation-based methods refer to in config as {@code student_tap}.
 */
public final class StudentTaps implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    /** The name of the raw-logit tap. */
    public static final String LOGITS = "logits";

    private final Map<String, Tap> taps;

    public StudentTaps(Map<String, Tap> taps) {
        this.taps = new LinkedHashMap<>(taps);
        Tap logits = this.taps.get(LOGITS);
        if (logits == null || logits.isFeatureMap()) {
            throw new IllegalArgumentException("the student must expose a flat '" + LOGITS + "' tap (raw class"
                    + " scores); it has " + this.taps);
        }
    }

    public Tap logits() {
        return taps.get(LOGITS);
    }

    public int numClasses() {
        return logits().width();
    }

    /** The tap of that name; fails naming the taps there are. */
    public Tap tap(String name) {
        Tap t = taps.get(name);
        if (t == null) {
            throw new IllegalArgumentException("the student has no tap '" + name + "'; its taps are " + taps.keySet());
        }
        return t;
    }

    public Map<String, Tap> asMap() {
        return java.util.Collections.unmodifiableMap(taps);
    }

    @Override
    public String toString() {
        return taps.values().toString();
    }
}
