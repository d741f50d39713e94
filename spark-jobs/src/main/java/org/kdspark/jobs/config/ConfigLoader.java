package org.kdspark.jobs.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.codec.LogitsEncoding;

/**
 * Reads a {@link KdConfig} from YAML, applies {@code key=value} overrides (dotted snake_case keys, YAML values), fills
 * every key left out with its {@link Key#defaultValue()}, and validates the result. Every error names the offending
 * key.
 */
public final class ConfigLoader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.READ_ENUMS_USING_TO_STRING)
            .enable(SerializationFeature.WRITE_ENUMS_USING_TO_STRING)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .registerModule(encodings());

    private static final ObjectNode DEFAULTS_TREE = defaultsOf(KdConfig.class);
    private static final KdConfig DEFAULTS = bind(JsonNodeFactory.instance.objectNode(), "defaults");

    private ConfigLoader() {
    }

    /** The built-in defaults. */
    static KdConfig defaults() {
        return DEFAULTS;
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
                tree = topLevel(YAML.readTree(file.toFile()), source);
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
            return bind(topLevel(YAML.readTree(yaml), source), source);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage(), e);
        }
    }

    private static ObjectNode topLevel(JsonNode node, String source) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (node instanceof ObjectNode o) {
            return o;
        }
        throw new ConfigException(source + ": the top level must be a mapping of keys, got " + node.getNodeType());
    }

    static KdConfig bind(ObjectNode tree, String source) {
        KdConfig config;
        ObjectNode complete = withDefaults(KdConfig.class, DEFAULTS_TREE, tree);
        // bad choices (an unknown enum value, an encoding that does not parse) are collected with the other problems, so
        // that one message names every bad value; each is bound as its default meanwhile
        List<String> problems = new java.util.ArrayList<>();
        checkChoices(KdConfig.class, DEFAULTS_TREE, complete, "", problems);
        try {
            config = YAML.treeToValue(complete, KdConfig.class);
        } catch (UnrecognizedPropertyException e) {
            String key = path(e);
            String allowed = e.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
            throw new ConfigException(source + ": unknown key '" + key + "'; allowed keys here: [" + allowed + "]", e);
        } catch (InvalidFormatException e) {
            Class<?> type = e.getTargetType();
            String allowed = type != null && type.isEnum() ? "; allowed: " + ConfigChoice.spellings(type) : "";
            throw new ConfigException(source + ": bad value for '" + path(e) + "': '" + e.getValue() + "' is not a valid "
                    + (type == null ? "value" : type.getSimpleName().toLowerCase(java.util.Locale.ROOT)) + allowed, e);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new ConfigException(source + ": bad value for '" + path(e) + "': " + cause.getMessage(), e);
        } catch (MismatchedInputException e) {
            throw new ConfigException(source + ": bad value for '" + path(e) + "': expected "
                    + (e.getTargetType() == null ? "another type" : describe(e.getTargetType())), e);
        } catch (JsonMappingException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : e;
            throw new ConfigException(source + ": bad value for '" + path(e) + "': " + (cause == e ? e.getOriginalMessage()
                    : cause.getMessage()), e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": " + e.getOriginalMessage(), e);
        }
        problems.addAll(config.problems());
        if (!problems.isEmpty()) {
            throw new ConfigException(source + ": invalid configuration:\n  - " + String.join("\n  - ", problems));
        }
        return config;
    }

    /**
     * The YAML tree of every key's default, built from the {@link Key} annotations of {@code type} and its sections.
     */
    static ObjectNode defaultsOf(Class<?> type) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        for (RecordComponent c : type.getRecordComponents()) {
            String name = PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(c.getName());
            if (c.getType().isRecord()) {
                node.set(name, defaultsOf(c.getType()));
                continue;
            }
            Key key = c.getAnnotation(Key.class);
            if (key == null) {
                throw new IllegalStateException(type.getSimpleName() + "." + c.getName() + " has no @Key: every config key needs a default");
            }
            try {
                JsonNode value = YAML.readTree(key.defaultValue());
                node.set(name, value == null || value.isMissingNode() ? JsonNodeFactory.instance.nullNode() : value);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(type.getSimpleName() + "." + c.getName() + ": its default is not YAML", e);
            }
        }
        return node;
    }

    /**
     * {@code given} with every key it leaves out taken from {@code defaults}: sections are completed key by key, any
     * other value (a list, a map such as {@code params}) replaces the default as a whole. Keys {@code type} does not have
     * are kept, for binding to report.
     */
    private static ObjectNode withDefaults(Class<?> type, ObjectNode defaults, ObjectNode given) {
        ObjectNode out = given.deepCopy();
        for (RecordComponent c : type.getRecordComponents()) {
            String name = PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(c.getName());
            JsonNode value = out.get(name);
            JsonNode fallback = defaults.get(name);
            if (c.getType().isRecord()) {
                if (value == null || value.isNull()) {
                    out.set(name, fallback.deepCopy());
                } else if (value instanceof ObjectNode section) {
                    out.set(name, withDefaults(c.getType(), (ObjectNode) fallback, section));
                }
            } else if (value == null) {
                out.set(name, fallback.deepCopy());
            }
        }
        return out;
    }

    /**
     * Replaces each value of a closed choice that is not one of its spellings (an enum, a tensor encoding) with the
     * default, recording the problem under the key's dotted name.
     */
    private static void checkChoices(Class<?> type, ObjectNode defaults, ObjectNode tree, String prefix, List<String> problems) {
        for (RecordComponent c : type.getRecordComponents()) {
            String name = PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(c.getName());
            JsonNode value = tree.get(name);
            String key = prefix + name;
            if (c.getType().isRecord()) {
                if (value instanceof ObjectNode section) {
                    checkChoices(c.getType(), (ObjectNode) defaults.get(name), section, key + ".", problems);
                }
            } else if (value != null && value.isNull() && (Map.class.isAssignableFrom(c.getType()) || List.class.isAssignableFrom(c.getType()))) {
                problems.add(key + (Map.class.isAssignableFrom(c.getType()) ? " must be a map (may be empty: {})" : " must be a list (may be"
                        + " empty: [])") + ", got nothing");
                tree.set(name, defaults.get(name).deepCopy());
            } else if (value != null && value.isNull() && !c.getType().isPrimitive() && !defaults.get(name).isNull()) {
                // only the keys whose default is unset may be left unset (teacher_onnx, spark.master, ...)
                problems.add(key + " must be set (its default is " + yaml(defaults.get(name)) + "), got nothing");
                tree.set(name, defaults.get(name).deepCopy());
            } else if (value != null && value.isTextual()) {
                String problem = choiceProblem(c.getType(), value.asText());
                if (problem != null) {
                    problems.add(key + " " + problem);
                    tree.set(name, defaults.get(name).deepCopy());
                }
            } else if (value instanceof ObjectNode map && c.getGenericType() instanceof java.lang.reflect.ParameterizedType p
                    && p.getActualTypeArguments()[1] == ColumnEncoding.class) {
                for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String problem = e.getValue().isTextual() ? choiceProblem(ColumnEncoding.class, e.getValue().asText())
                            : "must be an encoding, got " + e.getValue();
                    if (problem != null) {
                        problems.add(key + "." + e.getKey() + " " + problem);
                        it.remove();
                    }
                }
            }
        }
    }

    /**
     * Why {@code text} is not a value of the choice {@code type}, to follow the key's name; null when it is one (or
     * {@code type} is no choice).
     */
    private static String choiceProblem(Class<?> type, String text) {
        try {
            if (type.isEnum()) {
                return ConfigChoice.spellings(type).contains(text) ? null
                        : "must be one of " + ConfigChoice.spellings(type) + ", got '" + text + "'";
            }
            if (type == ColumnEncoding.class) {
                ColumnEncoding.parse(text);
            } else if (type == LogitsEncoding.class) {
                LogitsEncoding.parse(text);
            }
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
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

    /** One section of the effective configuration as a nested map, e.g. {@code distill}. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> sectionMap(KdConfig config, String section) {
        return (Map<String, Object>) toMap(config).get(section);
    }

    /** The effective configuration as YAML, e.g. for {@code kd config}. */
    public static String toYaml(KdConfig config) {
        try {
            return YAML.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The YAML spelling of a default, as the describer prints it. */
    static String yaml(JsonNode node) {
        if (node.isNull()) {
            return "~";
        }
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isContainerNode() && node.isEmpty()) {
            return node.isArray() ? "[]" : "{}";
        }
        if (node.isArray()) {
            StringBuilder sb = new StringBuilder("[");
            for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
                sb.append(yaml(it.next())).append(it.hasNext() ? ", " : "");
            }
            return sb.append(']').toString();
        }
        return node.toString();
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
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
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

    /** Tensor encodings are written in YAML as their config spellings ({@code float16}, {@code topk:5}). */
    private static SimpleModule encodings() {
        SimpleModule m = new SimpleModule("kd-encodings");
        m.addDeserializer(ColumnEncoding.class, new JsonDeserializer<>() {
            @Override
            public ColumnEncoding deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                return ColumnEncoding.parse(p.getValueAsString());
            }
        });
        m.addDeserializer(LogitsEncoding.class, new JsonDeserializer<>() {
            @Override
            public LogitsEncoding deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                return LogitsEncoding.parse(p.getValueAsString());
            }
        });
        m.addSerializer(ColumnEncoding.class, new StdSerializer<>(ColumnEncoding.class) {
            @Override
            public void serialize(ColumnEncoding value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                gen.writeString(value.configName());
            }
        });
        m.addSerializer(LogitsEncoding.class, new StdSerializer<>(LogitsEncoding.class) {
            @Override
            public void serialize(LogitsEncoding value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                gen.writeString(value.configName());
            }
        });
        return m;
    }
}
