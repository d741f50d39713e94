package org.kdspark.kd.provenance;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where an artifact came from: what produced it, from which inputs, with which config, by which code, on
 * which machine, and with which counts. Every artifact this project writes (image table, teacher, soft-label
 * store, student, report) carries one, as a JSON sidecar and, for Parquet, in the file footers.
 *
 * <p>{@code kind} and {@code schemaVersion} let readers refuse what they do not understand
 * ({@link #requireCompatible}).
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"kind", "schema_version", "created_at", "producer", "code", "environment", "inputs", "config", "counts", "details"})
public record Provenance(
        String kind,
        int schemaVersion,
        String createdAt,
        String producer,
        Map<String, String> code,
        Map<String, String> environment,
        Map<String, String> inputs,
        Map<String, Object> config,
        Map<String, Long> counts,
        Map<String, Object> details) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** Config keys whose values never leave the process: they are replaced by "***". */
    private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(secret|password|token|credential|access[._-]?key|session[._-]?key).*");

    public Provenance {
        Objects.requireNonNull(kind, "kind");
        code = copy(code);
        environment = copy(environment);
        inputs = copy(inputs);
        config = redact(copy(config));
        counts = copy(counts);
        details = copy(details);
    }

    /** Starts a provenance record for an artifact of {@code kind} written by {@code producer} now. */
    public static Provenance of(String kind, int schemaVersion, String producer) {
        return new Provenance(kind, schemaVersion, Instant.now().toString(), producer, BuildInfo.code(), BuildInfo.environment(),
                Map.of(), Map.of(), Map.of(), Map.of());
    }

    public Provenance withInput(String name, String value) {
        Map<String, String> m = new LinkedHashMap<>(inputs);
        m.put(name, value);
        return new Provenance(kind, schemaVersion, createdAt, producer, code, environment, m, config, counts, details);
    }

    public Provenance withConfig(Map<String, Object> value) {
        return new Provenance(kind, schemaVersion, createdAt, producer, code, environment, inputs, value, counts, details);
    }

    public Provenance withCount(String name, long value) {
        Map<String, Long> m = new LinkedHashMap<>(counts);
        m.put(name, value);
        return new Provenance(kind, schemaVersion, createdAt, producer, code, environment, inputs, config, m, details);
    }

    public Provenance withDetail(String name, Object value) {
        Map<String, Object> m = new LinkedHashMap<>(details);
        m.put(name, value);
        return new Provenance(kind, schemaVersion, createdAt, producer, code, environment, inputs, config, counts, m);
    }

    public Provenance withEnvironment(String name, String value) {
        Map<String, String> m = new LinkedHashMap<>(environment);
        m.put(name, value);
        return new Provenance(kind, schemaVersion, createdAt, producer, code, m, inputs, config, counts, details);
    }

    /**
     * Refuses an artifact of another kind or schema version, saying what to do about it.
     *
     * @param where the artifact's location, for the message
     */
    public void requireCompatible(String expectedKind, int expectedSchemaVersion, String where) {
        if (!kind.equals(expectedKind)) {
            throw new IncompatibleArtifactException(where + " holds a '" + kind + "' artifact, expected '" + expectedKind
                    + "': check the path you passed");
        }
        if (schemaVersion != expectedSchemaVersion) {
            throw new IncompatibleArtifactException(where + " has " + kind + " schema version " + schemaVersion
                    + " but this build reads version " + expectedSchemaVersion + ": regenerate it with this build (or use the build that wrote it, code "
                    + code.getOrDefault("version", "?") + ")");
        }
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("provenance is not serialisable to JSON", e);
        }
    }

    public static Provenance fromJson(String json) {
        try {
            return JSON.readValue(json, Provenance.class);
        } catch (JsonProcessingException e) {
            throw new IncompatibleArtifactException("unreadable provenance JSON: " + e.getOriginalMessage());
        }
    }

    /** The mapper used for provenance, reused for other small JSON documents of the project. */
    public static ObjectMapper json() {
        return JSON;
    }

    private static <V> Map<String, V> copy(Map<String, V> m) {
        return m == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> redact(Map<String, Object> config) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : config.entrySet()) {
            Object v = e.getValue();
            if (SECRET_KEY.matcher(e.getKey()).matches()) {
                v = "***";
            } else if (v instanceof Map<?, ?> nested) {
                v = redact((Map<String, Object>) nested);
            }
            out.put(e.getKey(), v);
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** An artifact that this build cannot read safely. */
    public static final class IncompatibleArtifactException extends org.kdspark.kd.error.UserInputException {
        public IncompatibleArtifactException(String message) {
            super(message);
        }
    }
}
