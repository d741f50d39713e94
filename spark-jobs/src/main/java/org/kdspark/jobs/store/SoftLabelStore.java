package org.kdspark.jobs.store;

import static org.apache.spark.sql.types.DataTypes.BinaryType;
import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.kdspark.kd.codec.TensorEncoding;
import org.kdspark.kd.method.TeacherShapes;
import org.kdspark.kd.provenance.Provenance;

/**
 * The soft-label store written by {@code soft-labels}: one row per image, the teacher's raw logits (not
 * softened: the temperature is a training-time choice) and selected intermediate feature maps.
 *
 * <pre>
 * id              string        not null  joins with the image table's id
 * split           string        not null  "train" or "test"
 * label           int           not null  the hard label
 * logits          array&lt;float&gt;  not null  raw teacher logits, one per class
 * feature_TAP     binary        not null  activation of teacher vertex TAP, flattened CHW, little-endian
 *                                         float16 or float32 (shape and encoding in the provenance,
 *                                         details.features.TAP)
 * </pre>
 *
 * Provenance (teacher SHA-256, config, code version, counts, creation time, schema version) is in every file
 * footer under {@code kd.provenance} and in {@code _provenance.json}.
 */
public final class SoftLabelStore {

    public static final String KIND = "soft-label-store";
    public static final int SCHEMA_VERSION = 1;

    public static final String ID = "id";
    public static final String SPLIT = "split";
    public static final String LABEL = "label";
    public static final String LOGITS = "logits";
    public static final String FEATURE_PREFIX = "feature_";

    private SoftLabelStore() {
    }

    public static String featureColumn(String tap) {
        return FEATURE_PREFIX + tap.replaceAll("[^A-Za-z0-9_]", "_");
    }

    /**
     * A teacher signal held by the store: its column, its per-example shape and, for a feature tap, its encoding
     * ({@code null} for the logits, a plain {@code array<float>}).
     */
    public record Signal(String name, String column, int[] shape, TensorEncoding encoding) implements java.io.Serializable {
    }

    /**
     * The signals a store holds, from its provenance: {@value #LOGITS} first, then the feature taps in stored order.
     */
    public static Map<String, Signal> signals(Provenance store) {
        Map<String, Signal> out = new LinkedHashMap<>();
        int numClasses = ((Number) store.details().get("num_classes")).intValue();
        out.put(LOGITS, new Signal(LOGITS, LOGITS, new int[] {numClasses}, null));
        Object features = store.details().getOrDefault("features", Map.of());
        if (features instanceof Map<?, ?> f) {
            f.forEach((tap, value) -> {
                Map<?, ?> d = (Map<?, ?>) value;
                int[] shape = ((List<?>) d.get("shape")).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
                out.put(String.valueOf(tap), new Signal(String.valueOf(tap), String.valueOf(d.get("column")), shape,
                        TensorEncoding.fromConfig(String.valueOf(d.get("encoding")))));
            });
        }
        return out;
    }

    /** The per-example shapes of a store's signals, as the distillation methods see them. */
    public static TeacherShapes shapes(Map<String, Signal> signals) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        signals.forEach((name, signal) -> shapes.put(name, signal.shape()));
        return new TeacherShapes(shapes);
    }

    public static StructType schema(List<String> taps) {
        StructType s = new StructType()
                .add(ID, StringType, false)
                .add(SPLIT, StringType, false)
                .add(LABEL, IntegerType, false)
                .add(LOGITS, DataTypes.createArrayType(FloatType, false), false);
        for (String tap : taps) {
            s = s.add(featureColumn(tap), BinaryType, false);
        }
        return s;
    }
}
