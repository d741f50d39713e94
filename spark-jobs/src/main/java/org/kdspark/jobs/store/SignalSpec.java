package org.kdspark.jobs.store;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.codec.LogitsEncoding;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.provenance.Hashes;

/**
 * What one store version holds per row beside the ids: the teacher's logits in their encoding, each feature tap in its
 * encoding and decoded shape, and the augmented views, for images of one input spec and class list. Two labelling runs
 * with the same teacher and the same spec are interchangeable, so the spec's {@link #key()} and the teacher's SHA-256
 * name the version.
 *
 * @param features each tap's provenance entry, in stored order: column, decoded shape, source shape, encoding
 * @param views    the augmented views' parameters; empty without views
 */
public record SignalSpec(InputSpec input, List<?> classes, LogitsEncoding logits, List<String> taps, Map<String, Object> features,
        Map<String, Object> views) {

    public SignalSpec {
        classes = List.copyOf(classes);
        taps = List.copyOf(taps);
        features = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(features));
        views = Map.copyOf(views);
    }

    /**
     * The spec a soft-label config asks for, for a teacher whose taps have {@code tapShapes}; refuses, naming the key, a
     * logits encoding that keeps more classes than the table has and a tap encoding that does not fit its tap.
     */
    public static SignalSpec of(KdConfig.SoftLabels config, InputSpec input, List<?> classes, Map<String, List<Long>> tapShapes) {
        LogitsEncoding logits = requireLogitsFit(config, classes.size());
        Map<String, Object> features = new LinkedHashMap<>();
        for (String tap : config.featureTaps()) {
            ColumnEncoding encoding = config.tapEncoding(tap);
            List<Long> source = tapShapes.get(tap);
            int[] decoded;
            try {
                decoded = encoding.decodedShape(source.stream().mapToInt(Long::intValue).toArray());
            } catch (IllegalArgumentException e) {
                throw new UserInputException(config.tapEncodingKey(tap) + ": '" + encoding.configName() + "' does not fit teacher tap '"
                        + tap + "' of shape " + source + ": " + e.getMessage(), e);
            }
            features.put(tap, Map.of("column", SoftLabelStore.featureColumn(tap), "shape", Arrays.stream(decoded).boxed().toList(),
                    "source_shape", source, "encoding", encoding.configName()));
        }
        Map<String, Object> views = config.views() == 0 ? Map.of()
                : Map.of("count", config.views(), "max_shift", config.viewShift(), "flip", config.viewFlip(), "seed", config.viewSeed());
        return new SignalSpec(input, classes, logits, config.featureTaps(), features, views);
    }

    /**
     * The configured logits encoding, refused naming the key when it keeps more logits than the image table has
     * classes: checked before the teacher is loaded, since the class count is not known when the config is.
     */
    public static LogitsEncoding requireLogitsFit(KdConfig.SoftLabels config, int classes) {
        LogitsEncoding logits = config.logitsEncoding();
        if (logits instanceof LogitsEncoding.TopK t && t.cell().k() > classes) {
            throw new UserInputException("soft_labels.logits_encoding '" + t.configName() + "' keeps " + t.cell().k()
                    + " logits but the image table has " + classes + " classes: use topk:K with K <= " + classes + ", or float32");
        }
        return logits;
    }

    /** The logits' provenance entry: column, shape and encoding. */
    public Map<String, Object> logitsEntry() {
        long numClasses = classes.size();
        // the dense column keeps the exact entry it always had: existing stores keep their version key
        return logits instanceof LogitsEncoding.TopK t
                ? Map.of("column", SoftLabelStore.LOGITS_TOPK, "shape", List.of(numClasses), "source_shape", List.of(numClasses),
                        "encoding", t.configName())
                : Map.of("column", SoftLabelStore.LOGITS, "shape", List.of(numClasses), "encoding", SoftLabelStore.DENSE_LOGITS);
    }

    /**
     * A hash of everything that makes two labelling runs with the same teacher interchangeable: the input spec, the
     * classes, each stored signal's column, shape and encoding, and the views.
     */
    public String key() {
        Map<String, Object> key = new LinkedHashMap<>();
        key.put("input_spec", input.toString());
        key.put("classes", classes);
        key.put("logits", logitsEntry());
        key.put("features", features);
        if (!views.isEmpty()) {
            key.put("views", views);
        }
        return Hashes.ofValue(key);
    }

    /** The store's columns for a labelling by {@code teachers} teachers, in stored order. */
    public Column[] columns(int teachers) {
        return SoftLabelStore.columns(taps, teachers, !views.isEmpty(), logits);
    }
}
