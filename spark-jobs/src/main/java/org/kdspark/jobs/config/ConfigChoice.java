package org.kdspark.jobs.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A closed choice of the configuration, implemented by enums: written in YAML as {@link #configName()}, the
 * constant's name in lower case. The config's JSON mapper reads and writes enums through {@code toString}, which
 * every implementation returns as its config name.
 */
public interface ConfigChoice {

    /** The spelling in YAML. */
    default String configName() {
        return ((Enum<?>) this).name().toLowerCase(Locale.ROOT);
    }

    /** The spellings of every constant of {@code type}, in declaration order. */
    static List<String> spellings(Class<?> type) {
        return Arrays.stream(type.getEnumConstants()).map(Object::toString).toList();
    }
}
