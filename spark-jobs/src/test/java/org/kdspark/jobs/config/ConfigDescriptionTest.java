package org.kdspark.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.TestSpark;

/** docs/configuration.md is the code's own description of every key, and conf/fashion-mnist.yaml says why it differs. */
class ConfigDescriptionTest {

    @Test
    void theConfigurationPageIsWhatTheCodeDescribes() throws IOException {
        Path page = TestSpark.repoRoot().resolve("docs/configuration.md");
        assertEquals(ConfigDescription.markdown(), Files.readString(page),
                "docs/configuration.md differs from the code: regenerate it with 'bin/kd config --describe > docs/configuration.md'");
    }

    @Test
    void everyKeyIsDescribedWithItsDefault() {
        String md = ConfigDescription.markdown();
        for (String key : keys(KdConfig.class, "")) {
            assertTrue(md.contains("| `" + key + "` |"), key + " is not described");
        }
        assertTrue(md.contains("| `distill.trainer` | `allreduce` \\| `barrier` \\| `dl4j` | `allreduce` |"), md);
        assertTrue(md.contains("| `soft_labels.feature_taps` | list of strings | `[block2]` |"), md);
    }

    @Test
    void theDefaultConfigFileEqualsTheDefaultsOrSaysWhyOnTheLineAboveOrBeside() throws IOException {
        Path file = TestSpark.repoRoot().resolve("conf/fashion-mnist.yaml");
        Map<String, Object> defaults = ConfigLoader.toMap(KdConfig.defaults());
        Map<String, Object> loaded = ConfigLoader.toMap(ConfigLoader.load(file, List.of()));
        List<String> lines = Files.readAllLines(file);
        List<String> unexplained = new ArrayList<>();
        String section = "";
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.trim().startsWith("#")) {
                continue;
            }
            int indent = line.length() - line.stripLeading().length();
            String key = line.trim().split(":", 2)[0];
            if (indent == 0) {
                section = key;
            }
            if (indent > 2 || (indent == 0 && line.trim().endsWith(":"))) {
                continue; // inside a map value (checked as a whole on its key's line), or a section header
            }
            String path = indent == 0 ? key : section + "." + key;
            Object value = lookup(loaded, path);
            boolean explained = line.contains("#") || (i > 0 && lines.get(i - 1).trim().startsWith("#"));
            if (!java.util.Objects.equals(value, lookup(defaults, path)) && !explained) {
                unexplained.add(path);
            }
        }
        assertEquals(List.of(), unexplained, "keys of conf/fashion-mnist.yaml that differ from the defaults without a comment saying why");
    }

    private static Object lookup(Map<String, Object> map, String dotted) {
        Object v = map;
        for (String k : dotted.split("\\.", 2)) {
            v = v instanceof Map<?, ?> m ? m.get(k) : null;
        }
        return v;
    }

    private static List<String> keys(Class<?> type, String prefix) {
        List<String> out = new ArrayList<>();
        for (RecordComponent c : type.getRecordComponents()) {
            String name = com.fasterxml.jackson.databind.PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(c.getName());
            if (c.getType().isRecord()) {
                out.addAll(keys(c.getType(), prefix + name + "."));
            } else {
                out.add(prefix + name);
            }
        }
        return out;
    }
}
