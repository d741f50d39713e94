package org.kdspark.kd.zoo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The validated parameters of one model: the {@linkplain #COMMON common} training parameters plus those its
 * architecture declares, each present (defaults filled in) and of its canonical type.
 *
 * <p>Built with {@link #of(Architecture, Map)}, which refuses an unknown key (naming the allowed ones) or a bad
 * value (naming the key and what is allowed) before anything is built.
 */
public final class ModelParams {

    /** Adam learning rate. */
    public static final String LEARNING_RATE = "learning_rate";
    /** Per-epoch multiplicative learning-rate decay; 1 keeps it constant. */
    public static final String LR_DECAY = "lr_decay";
    /** L2 regularisation coefficient on weights. */
    public static final String L2 = "l2";
    /** Weight initialisation scheme. */
    public static final String WEIGHT_INIT = "weight_init";

    /** Parameters every architecture accepts. */
    public static final List<ParamSpec> COMMON = List.of(
            ParamSpec.real(LEARNING_RATE, 1e-3, 0.0, "Adam learning rate"),
            ParamSpec.real(LR_DECAY, 1.0, 0.0,
                    "learning rate is multiplied by this after every epoch (ExponentialSchedule on epochs); 1 = constant"),
            ParamSpec.real(L2, 0.0, 0.0, "L2 regularisation coefficient on weights (not biases)"),
            ParamSpec.choice(WEIGHT_INIT, "relu", List.of("relu", "relu_uniform", "xavier", "xavier_uniform", "lecun_normal"),
                    "weight initialisation (DL4J WeightInit, lower case)"));

    private final String architecture;
    private final Map<String, Object> values;

    private ModelParams(String architecture, Map<String, Object> values) {
        this.architecture = architecture;
        this.values = Collections.unmodifiableMap(values);
    }

    /** All parameters an architecture accepts: {@link #COMMON} followed by its own. */
    public static List<ParamSpec> specs(Architecture arch) {
        List<ParamSpec> all = new ArrayList<>(COMMON);
        all.addAll(arch.params());
        return all;
    }

    /**
     * Validates {@code raw} against the architecture's parameters and fills in defaults.
     *
     * @param raw may be {@code null} or empty for all defaults
     */
    public static ModelParams of(Architecture arch, Map<String, ?> raw) {
        String owner = "architecture '" + arch.name() + "'";
        Map<String, ParamSpec> specs = new LinkedHashMap<>();
        for (ParamSpec s : specs(arch)) {
            specs.put(s.name(), s);
        }
        Map<String, ?> given = raw == null ? Map.of() : raw;
        for (String key : given.keySet()) {
            if (!specs.containsKey(key)) {
                throw new IllegalArgumentException(owner + ": unknown parameter '" + key + "'; allowed: "
                        + new TreeSet<>(specs.keySet()));
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (ParamSpec s : specs.values()) {
            Object v = given.containsKey(s.name()) ? s.coerce(given.get(s.name()), owner) : s.defaultValue();
            values.put(s.name(), v);
        }
        return new ModelParams(arch.name(), values);
    }

    public String architecture() {
        return architecture;
    }

    public int integer(String name) {
        return (Integer) get(name);
    }

    public double real(String name) {
        return (Double) get(name);
    }

    public boolean bool(String name) {
        return (Boolean) get(name);
    }

    public String string(String name) {
        return (String) get(name);
    }

    @SuppressWarnings("unchecked")
    public List<Integer> intList(String name) {
        return (List<Integer>) get(name);
    }

    /** Every parameter with its value, in declaration order: for provenance and logs. */
    public Map<String, Object> asMap() {
        return values;
    }

    private Object get(String name) {
        Object v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("architecture '" + architecture + "' has no parameter '" + name + "'");
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelParams p && p.architecture.equals(architecture) && p.values.equals(values);
    }

    @Override
    public int hashCode() {
        return architecture.hashCode() * 31 + values.hashCode();
    }

    @Override
    public String toString() {
        return architecture + values;
    }
}
