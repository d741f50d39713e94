package org.kdspark.jobs.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.codec.LogitsEncoding;

/**
 * Every configuration key with its type, default and meaning, as Markdown, from the {@link Key} and {@link Section}
 * annotations of {@link KdConfig}: what {@code kd config --describe} prints and docs/configuration.md holds (a test
 * compares the two).
 */
public final class ConfigDescription {

    private ConfigDescription() {
    }

    /** The whole reference page. */
    public static String markdown() {
        ObjectNode defaults = ConfigLoader.defaultsOf(KdConfig.class);
        StringBuilder md = new StringBuilder();
        md.append("# Configuration\n\n");
        md.append("Every job reads one YAML file (`--config FILE`; the shipped ones are under `conf/`) with the keys below, all\n");
        md.append("optional: a key left out takes its default. Keys are snake_case; `--set KEY=VALUE` overrides one (dotted path,\n");
        md.append("the value parsed as YAML: `--set distill.epochs=3`, `--set soft_labels.feature_taps=[block2]`), `--output` and\n");
        md.append("`--master` override `output` and `spark.master`. An unknown key is an error that names its dotted path and the\n");
        md.append("keys allowed there; bad values are reported together, each naming its key and the allowed values; all of it\n");
        md.append("before any Spark work. `kd config` prints the effective configuration.\n\n");
        md.append("This page is generated from the code (`bin/kd config --describe > docs/configuration.md`); a test fails when the\n");
        md.append("two differ.\n\n");
        md.append("| key | type | default | meaning |\n|---|---|---|---|\n");
        for (RecordComponent c : KdConfig.class.getRecordComponents()) {
            if (!c.getType().isRecord()) {
                row(md, "", c, defaults);
            }
        }
        for (RecordComponent c : KdConfig.class.getRecordComponents()) {
            if (c.getType().isRecord()) {
                String name = snake(c.getName());
                md.append("\n## `").append(name).append("`\n\n").append(c.getAnnotation(Section.class).doc()).append("\n\n");
                md.append("| key | type | default | meaning |\n|---|---|---|---|\n");
                for (RecordComponent k : c.getType().getRecordComponents()) {
                    row(md, name + ".", k, (ObjectNode) defaults.get(name));
                }
            }
        }
        return md.toString();
    }

    private static void row(StringBuilder md, String prefix, RecordComponent c, ObjectNode defaults) {
        Key key = c.getAnnotation(Key.class);
        String name = snake(c.getName());
        md.append("| `").append(prefix).append(name).append("` | ").append(type(c.getGenericType())).append(" | `")
                .append(ConfigLoader.yaml(defaults.get(name))).append("` | ").append(key.doc().replace("|", "\\|")).append(" |\n");
    }

    /** The type in words; a closed choice lists its values. */
    static String type(Type type) {
        if (type instanceof ParameterizedType p) {
            Type[] args = p.getActualTypeArguments();
            if (List.class.equals(p.getRawType())) {
                return "list of " + plural(args[0]);
            }
            if (Map.class.equals(p.getRawType())) {
                return args[1] == String.class ? "map of strings" : args[1] == ColumnEncoding.class ? "map of tap to encoding" : "map";
            }
        }
        if (type instanceof Class<?> c) {
            if (c.isEnum()) {
                return String.join(" \\| ", ConfigChoice.spellings(c).stream().map(s -> "`" + s + "`").toList());
            }
            if (c == int.class || c == long.class) {
                return "integer";
            }
            if (c == double.class) {
                return "number";
            }
            if (c == boolean.class) {
                return "`true` \\| `false`";
            }
            if (c == String.class) {
                return "string";
            }
            if (c == ColumnEncoding.class) {
                return "tensor encoding";
            }
            if (c == LogitsEncoding.class) {
                return "logits encoding";
            }
        }
        return type.getTypeName();
    }

    private static String plural(Type element) {
        return element == Long.class ? "integers" : element == String.class ? "strings" : type(element);
    }

    private static String snake(String name) {
        return PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(name);
    }
}
