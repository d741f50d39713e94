package org.kdspark.jobs.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Unmodifiable copies that keep order and nested values frozen, for the config's collections. */
final class Immutable {

    private Immutable() {
    }

    /** An unmodifiable copy of {@code map} in its iteration order (null: empty), nested maps and lists frozen too. */
    @SuppressWarnings("unchecked")
    static <K, V> Map<K, V> map(Map<K, V> map) {
        if (map == null) {
            return Map.of();
        }
        Map<K, V> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(k, (V) freeze(v)));
        return Collections.unmodifiableMap(copy);
    }

    /** An unmodifiable copy of {@code list} (null: empty); null elements are kept for the config's checks to name. */
    @SuppressWarnings("unchecked")
    static <T> List<T> list(List<T> list) {
        if (list == null) {
            return List.of();
        }
        List<T> copy = new ArrayList<>(list.size());
        list.forEach(v -> copy.add((T) freeze(v)));
        return Collections.unmodifiableList(copy);
    }

    private static Object freeze(Object value) {
        if (value instanceof Map<?, ?> m) {
            return map(m);
        }
        if (value instanceof List<?> l) {
            return list(l);
        }
        return value;
    }
}
