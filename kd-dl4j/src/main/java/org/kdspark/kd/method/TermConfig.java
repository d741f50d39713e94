package org.kdspark.kd.method;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One objective term's settings, checked against its method's {@link Param}s: an unknown key, a missing
 * required key or a value of the wrong type is an error that names the method, the key and what is allowed.
 */
public final class TermConfig {

    private final MethodSpec spec;
    private final Map<String, Object> values;
    private final Set<String> read = new HashSet<>();

    private TermConfig(MethodSpec spec, Map<String, Object> values) {
        this.spec = spec;
        this.values = values;
    }

    /** A number is shorthand for {@code {weight: number}}; null means all defaults. */
    static TermConfig of(MethodSpec spec, Object raw) {
        Map<String, Object> values = new LinkedHashMap<>();
        if (raw instanceof Number n) {
            values.put("weight", n);
        } else if (raw instanceof Map<?, ?> m) {
            m.forEach((k, v) -> values.put(String.valueOf(k), v));
        } else if (raw != null) {
            throw new IllegalArgumentException(spec.name() + ": expected a weight or a map of "
                    + allowed(spec) + ", got '" + raw + "'");
        }
        Set<String> known = spec.params().stream().map(Param::key).collect(Collectors.toSet());
        for (String key : values.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException(spec.name() + ": unknown key '" + key + "'; allowed: "
                        + allowed(spec));
            }
        }
        return new TermConfig(spec, values);
    }

    private static String allowed(MethodSpec spec) {
        return spec.params().stream().map(Param::key).collect(Collectors.joining(", "));
    }

    private Param param(String key) {
        return spec.params().stream().filter(p -> p.key().equals(key)).findFirst()
                .orElseThrow(() -> new IllegalStateException(spec.name() + " reads undeclared key " + key));
    }

    /** The number under {@code key}, or its default. */
    public double number(String key) {
        Param p = param(key);
        read.add(key);
        Object v = values.getOrDefault(key, p.defaultValue());
        if (v instanceof Number n && Double.isFinite(n.doubleValue())) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException(spec.name() + "." + key + " must be a finite number, got '" + v + "'");
    }

    /** The number under {@code key}; it must be non-negative. */
    public double nonNegative(String key) {
        double v = number(key);
        if (v < 0) {
            throw new IllegalArgumentException(spec.name() + "." + key + " must be >= 0, got " + v);
        }
        return v;
    }

    /** The number under {@code key}; it must be positive. */
    public double positive(String key) {
        double v = number(key);
        if (v <= 0) {
            throw new IllegalArgumentException(spec.name() + "." + key + " must be > 0, got " + v);
        }
        return v;
    }

    /** The true/false under {@code key}, or its default. */
    public boolean flag(String key) {
        Param p = param(key);
        read.add(key);
        Object v = values.getOrDefault(key, p.defaultValue());
        if (v instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(spec.name() + "." + key + " must be true or false, got '" + v + "'");
    }

    /** The text under {@code key}, its default, or {@code fallback} when neither exists. */
    public String text(String key, String fallback) {
        Param p = param(key);
        read.add(key);
        Object v = values.getOrDefault(key, p.defaultValue());
        if (v == null) {
            if (fallback == null) {
                throw new IllegalArgumentException(spec.name() + "." + key + " is required (" + p.description() + ")");
            }
            return fallback;
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException(spec.name() + "." + key + " must be a name, got '" + v + "'");
        }
        return s;
    }

    void requireAllRead() {
        for (String key : values.keySet()) {
            if (!read.contains(key)) {
                throw new IllegalStateException(spec.name() + " declares key " + key + " but never reads it");
            }
        }
    }
}
