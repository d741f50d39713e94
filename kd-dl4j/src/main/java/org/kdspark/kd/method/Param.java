package org.kdspark.kd.method;

/**
 * A documented configuration key of a method, with its default ({@code null}: required, or derived as the
 * description says).
 */
public record Param(String key, Object defaultValue, String description) {

    public static Param number(String key, double defaultValue, String description) {
        return new Param(key, defaultValue, description);
    }

    public static Param flag(String key, boolean defaultValue, String description) {
        return new Param(key, defaultValue, description);
    }

    public static Param text(String key, String defaultValue, String description) {
        return new Param(key, defaultValue, description);
    }

    @Override
    public String toString() {
        return key + "=" + (defaultValue == null ? "(" + description + ")" : defaultValue);
    }
}
