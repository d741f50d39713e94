package org.kdspark.kd.zoo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One typed parameter of an architecture (or of every architecture): its name, type, default value, what it
 * means, and the checks a value must pass. Values come from config files (YAML/JSON maps), so they are coerced
 * from the usual Jackson types ({@code Integer}, {@code Long}, {@code Double}, {@code String}, {@code List}).
 *
 * @param name        key in the params map
 * @param type        value type
 * @param defaultValue value when the key is absent, already of the canonical Java type (see {@link Type})
 * @param description one line for {@code --help} and error messages
 * @param min         smallest allowed value for numbers and list elements (inclusive), or {@code null}
 * @param allowed     allowed values for {@link Type#STRING}, empty for any
 */
public record ParamSpec(String name, Type type, Object defaultValue, String description, Double min, List<String> allowed) {

    /** Parameter types and the canonical Java type each is held as. */
    public enum Type {
        /** {@code Integer}. */
        INT,
        /** {@code Double}. */
        DOUBLE,
        /** {@code Boolean}. */
        BOOLEAN,
        /** {@code String}, possibly restricted to {@link ParamSpec#allowed()}. */
        STRING,
        /** An unmodifiable {@code List<Integer>}. */
        INT_LIST
    }

    public ParamSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        allowed = allowed == null ? List.of() : List.copyOf(allowed);
    }

    public static ParamSpec integer(String name, int defaultValue, int min, String description) {
        return new ParamSpec(name, Type.INT, defaultValue, description, (double) min, List.of());
    }

    public static ParamSpec real(String name, double defaultValue, double min, String description) {
        return new ParamSpec(name, Type.DOUBLE, defaultValue, description, min, List.of());
    }

    public static ParamSpec bool(String name, boolean defaultValue, String description) {
        return new ParamSpec(name, Type.BOOLEAN, defaultValue, description, null, List.of());
    }

    public static ParamSpec choice(String name, String defaultValue, List<String> allowed, String description) {
        return new ParamSpec(name, Type.STRING, defaultValue, description, null, allowed);
    }

    public static ParamSpec intList(String name, List<Integer> defaultValue, int min, String description) {
        return new ParamSpec(name, Type.INT_LIST, List.copyOf(defaultValue), description, (double) min, List.of());
    }

    /**
     * Converts a raw config value to this parameter's canonical type and checks it.
     *
     * @param owner what the parameter belongs to, for the error message (e.g. {@code "architecture 'cnn'"})
     * @throws IllegalArgumentException naming the key, the bad value and what is allowed
     */
    public Object coerce(Object raw, String owner) {
        if (raw == null) {
            throw bad(owner, raw, "a value (null given)");
        }
        switch (type) {
            case INT -> {
                int v = toInt(raw, owner);
                checkMin(v, raw, owner);
                return v;
            }
            case DOUBLE -> {
                if (!(raw instanceof Number n)) {
                    throw bad(owner, raw, "a number");
                }
                double v = n.doubleValue();
                if (!Double.isFinite(v)) {
                    throw bad(owner, raw, "a finite number");
                }
                checkMin(v, raw, owner);
                return v;
            }
            case BOOLEAN -> {
                if (!(raw instanceof Boolean b)) {
                    throw bad(owner, raw, "true or false");
                }
                return b;
            }
            case STRING -> {
                if (!(raw instanceof String s)) {
                    throw bad(owner, raw, allowed.isEmpty() ? "a string" : "one of " + allowed);
                }
                if (!allowed.isEmpty() && !allowed.contains(s)) {
                    throw bad(owner, raw, "one of " + allowed);
                }
                return s;
            }
            case INT_LIST -> {
                List<Integer> out = new ArrayList<>();
                if (raw instanceof int[] a) {
                    for (int x : a) {
                        out.add(x);
                    }
                } else if (raw instanceof List<?> l) {
                    for (Object o : l) {
                        out.add(toInt(o, owner));
                    }
                } else {
                    throw bad(owner, raw, "a list of integers");
                }
                if (out.isEmpty()) {
                    throw bad(owner, raw, "a non-empty list of integers");
                }
                for (int v : out) {
                    checkMin(v, raw, owner);
                }
                return Collections.unmodifiableList(out);
            }
            default -> throw new AssertionError(type);
        }
    }

    private int toInt(Object raw, String owner) {
        if (raw instanceof Integer || raw instanceof Long || raw instanceof Short || raw instanceof Byte) {
            long v = ((Number) raw).longValue();
            if (v == (int) v) {
                return (int) v;
            }
        } else if (raw instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                && Math.abs(n.doubleValue()) < Integer.MAX_VALUE) {
            return (int) n.doubleValue();
        }
        throw bad(owner, raw, type == Type.INT_LIST ? "a list of integers" : "an integer");
    }

    private void checkMin(double v, Object raw, String owner) {
        if (min != null && v < min) {
            throw bad(owner, raw, (type == Type.DOUBLE ? "a number" : "integers") + " >= " + fmt(min));
        }
    }

    private IllegalArgumentException bad(String owner, Object raw, String expected) {
        return new IllegalArgumentException(owner + ": parameter '" + name + "' = " + raw + " is invalid: expected "
                + expected + " (" + description + ")");
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
