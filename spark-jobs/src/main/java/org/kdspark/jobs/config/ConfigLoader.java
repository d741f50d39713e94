package org.kdspark.jobs.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads a {@link KdConfig} from YAML, applies {@code key=value} overrides (dotted snake_case keys, YAML
 * values), and validates the result. Every error names the offending key.
 */
public final class ConfigLoader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private ConfigLoader() {
    }

    /** Loads {@code file} (or the defaults when null) with overrides applied, validated. */
    public static KdConfig load(Path file, List<String> overrides) {
        String source = file == null ? "defaults" : file.toString();
        ObjectNode tree;
        if (file == null) {
            tree = JsonNodeFactory.instance.objectNode();
        } else {
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("config file " + file + " does not exist; the shipped configs are under conf/");
            }
            try {
                JsonNode node = YAML.readTree(file.toFile());
                if (node == null || node.isMissingNode() || node.isNull()) {
                    tree = JsonNodeFactory.instance.objectNode();
                } else if (node instanceof ObjectNode o) {
                    tree = o;
                } else {
                    throw new ConfigException(source + ": the top level must be a mapping of keys, got " + node.getNodeType());
                }
            } catch (JsonProcessingException e) {
                throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage(), e);
            } catch (IOException e) {
                throw new ConfigException(source + ": cannot read: " + e.getMessage(), e);
            }
        }
        for (String override : overrides) {
            applyOverride(tree, override);
        }
        return bind(tree, source);
    }

    /** Parses a YAML document into a validated config; {@code source} names it in errors. */
    public static KdConfig parse(String yaml, String source) {
        try {
            JsonNode node = YAML.readTree(yaml);
            return bind(node instanceof ObjectNode o ? o : JsonNodeFactory.instance.objectNode(), source);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage(), e);
        }
    }

    static KdConfig bind(ObjectNode tree, String source) {
        KdConfig config;
        try {
            config = YAML.treeToValue(tree, KdConfig.class);
        } catch (UnrecognizedPropertyException e) {
            String key = path(e);
            String allowed = e.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
            throw new ConfigException(source + ": unknown key '" + key + "'; allowed keys here: [" + allowed + "]", e);
        } catch (InvalidFormatException e) {
            throw new ConfigException(source + ": bad value for '" + path(e) + "': '" + e.getValue() + "' is not a valid "
                    + e.getTargetType().getSimpleName().toLowerCase(java.util.Locale.ROOT), e);
        } catch (MismatchedInputException e) {
            throw new ConfigException(source + ": bad value for '" + path(e) + "': expected "
                    + (e.getTargetType() == null ? "another type" : describe(e.getTargetType())), e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": " + e.getOriginalMessage(), e);
        }
        List<String> problems = config.problems();
        if (!problems.isEmpty()) {
            throw new ConfigException(source + ": invalid configuration:\n  - " + String.join("\n  - ", problems));
        }
        return config;
    }

    /** Applies one {@code a.b.c=value} override; the value is parsed as YAML (so 3, 0.5, true, [a, b] work). */
    static void applyOverride(ObjectNode tree, String override) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            throw new ConfigException("override '" + override + "' must look like key.path=value, e.g. distill.epochs=3");
        }
        String[] keys = override.substring(0, eq).trim().split("\\.");
        JsonNode value;
        try {
            String raw = override.substring(eq + 1);
            value = raw.isEmpty() ? JsonNodeFactory.instance.textNode("") : YAML.readTree(raw);
        } catch (JsonProcessingException e) {
            throw new ConfigException("override '" + override + "': value is not valid YAML", e);
        }
        ObjectNode node = tree;
        for (int i = 0; i < keys.length - 1; i++) {
            JsonNode child = node.get(keys[i]);
            if (child == null || child.isNull()) {
                child = node.putObject(keys[i]);
            } else if (!(child instanceof ObjectNode)) {
                throw new ConfigException("override '" + override + "': '" + keys[i] + "' is a value, not a section");
            }
            node = (ObjectNode) child;
        }
        node.set(keys[keys.length - 1], value);
    }

    /** The effective configuration as a nested map (snake_case keys), for provenance and reports. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> toMap(KdConfig config) {
        return YAML.convertValue(config, Map.class);
    }

    /** The effective configuration as YAML, e.g. for {@code kd config}. */
    public static String toYaml(KdConfig config) {
        try {
            return YAML.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."))
                .replace(".[", "[");
    }

    private static String describe(Class<?> type) {
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "an integer";
        }
        if (type == double.class || type == Double.class) {
            return "a number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "a mapping";
        }
        return "a " + type.getSimpleName() + " section (a mapping)";
    }
}
