package org.kdspark.jobs.store;

import static org.apache.spark.sql.types.DataTypes.BinaryType;
import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

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
