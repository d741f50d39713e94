package org.kdspark.jobs.store;

import static org.apache.spark.sql.types.DataTypes.BinaryType;
import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.data.ImageView;
import org.kdspark.kd.method.TeacherShapes;
import org.kdspark.kd.provenance.Provenance;

/**
 * The soft-label store written by {@code soft-labels}: one row per image, the teacher's raw logits (not
 * softened: the temperature is a training-time choice) and selected intermediate feature maps.
 *
 * <p>Layout (any Hadoop URI): versioned by teacher and incremental. A version holds what one teacher (SHA-256 of its
 * model) labelled with one signal spec (taps, encodings, input spec, classes); re-running with the same teacher labels
 * only images it has not seen (new ids, or changed pixels), as a new batch; a new teacher writes a new version beside
 * the old. {@link StoreManifest _store.json} lists the committed batches and the current version: readers go through
 * it ({@link #open}), so a batch that a killed job left half-written is never read.
 *
 * <pre>
 * ROOT/_store.json                                  versions, their committed batches, the current version
 * ROOT/teacher=SHA12_KEY8/batch=00001/part-*.parquet  rows of one run (+ _provenance.json, and in every footer)
 * ROOT/teacher=SHA12_KEY8/batch=00002/...            images added later, labelled alone
 * </pre>
 *
 * Columns:
 * <pre>
 * id              string        not null  joins with the image table's id
 * split           string        not null  "train" or "test"
 * label           int           not null  the hard label
 * image_hash      bigint        not null  xxhash64 of the image's pixels: a changed image is labelled again
 * logits          array&lt;float&gt;  not null  raw teacher logits, one per class
 * feature_TAP     binary        not null  activation of teacher vertex TAP, flattened CHW, little-endian
 *                                         float16 or float32 (shape and encoding in the provenance,
 *                                         details.features.TAP)
 * </pre>
 *
 * Provenance (teacher SHA-256, config, code version, counts, creation time, schema version) is in every file
 * footer under {@code kd.provenance} and in each batch's {@code _provenance.json}.
 */
public final class SoftLabelStore {

    public static final String KIND = "soft-label-store";
    public static final int SCHEMA_VERSION = 2;

    public static final String ID = "id";
    public static final String SPLIT = "split";
    public static final String LABEL = "label";
    public static final String IMAGE_HASH = "image_hash";
    public static final String LOGITS = "logits";
    /** An ensemble's column: each teacher's raw logits, in the order of the provenance's {@code details.teachers}. */
    public static final String MEMBER_LOGITS = "member_logits";
    /** Stores with augmented views: the view (0 = the image itself) and its parameters ({@link ImageView}). */
    public static final String VIEW = "view";
    public static final String VIEW_DX = "view_dx";
    public static final String VIEW_DY = "view_dy";
    public static final String VIEW_FLIP = "view_flip";
    public static final List<String> VIEW_COLUMNS = List.of(VIEW, VIEW_DX, VIEW_DY, VIEW_FLIP);
    public static final String FEATURE_PREFIX = "feature_";

    private SoftLabelStore() {
    }

    /**
     * The current version of the store at {@code root}, checked for kind and schema version.
     *
     * @throws Provenance.IncompatibleArtifactException when there is no store, or one this build cannot read
     */
    public static StoreVersion open(SparkSession spark, String root) {
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        StoreManifest manifest = StoreManifest.read(files, root);
        if (manifest == null || manifest.current() == null) {
            if (files.exists(root + "/" + ParquetArtifacts.SIDECAR)) {
                throw new Provenance.IncompatibleArtifactException("the soft-label store at " + root + " has the unversioned layout of schema"
                        + " version 1: run 'kd soft-labels' again (same --output) to rewrite it as a versioned store");
            }
            throw new Provenance.IncompatibleArtifactException("no soft-label store at " + root + " (no " + StoreManifest.FILE
                    + "): run 'kd soft-labels' first (same --output), or let it finish");
        }
        return version(spark, root, manifest, manifest.current());
    }

    /** The version {@code name} of the store whose manifest is {@code manifest}. */
    public static StoreVersion version(SparkSession spark, String root, StoreManifest manifest, String name) {
        StoreManifest.VersionEntry entry = manifest.versions().get(name);
        if (entry == null || entry.batches().isEmpty()) {
            throw new Provenance.IncompatibleArtifactException("the soft-label store at " + root + " has no committed version " + name
                    + " (it has " + manifest.versions().keySet() + "): run 'kd soft-labels' again");
        }
        String newest = root + "/" + name + "/" + entry.batches().get(entry.batches().size() - 1).name();
        Provenance p = ParquetArtifacts.provenance(spark, newest, KIND, SCHEMA_VERSION)
                .withCount("rows", entry.rows())
                .withCount("train", entry.train())
                .withCount("test", entry.test());
        return new StoreVersion(root, name, entry, p);
    }

    /** {@code images} (an image table) with its {@link #IMAGE_HASH} column. */
    public static Dataset<Row> withImageHash(Dataset<Row> images) {
        return images.withColumn(IMAGE_HASH, functions.xxhash64(functions.col(ImageTable.PIXELS)));
    }

    /** Join condition: the same image (id and pixel hash) in two datasets. */
    public static Column sameImage(Dataset<Row> left, Dataset<Row> right) {
        return left.col(ID).equalTo(right.col(ID)).and(left.col(IMAGE_HASH).equalTo(right.col(IMAGE_HASH)));
    }

    public static String featureColumn(String tap) {
        return FEATURE_PREFIX + tap.replaceAll("[^A-Za-z0-9_]", "_");
    }

    /**
     * Parses the encoding of a feature-tap column ({@link ColumnEncoding#parseFeature}); a bad one fails naming
     * {@code where} and the allowed forms.
     */
    public static ColumnEncoding featureEncoding(String spec, String where) {
        try {
            return ColumnEncoding.parseFeature(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    /**
     * A teacher signal held by the store: its column, its per-example shape as decoded and, for a feature tap, its
     * encoding ({@code null} for the logits, a plain {@code array<float>}).
     */
    public record Signal(String name, String column, int[] shape, ColumnEncoding encoding) implements java.io.Serializable {
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
                        ColumnEncoding.parse(String.valueOf(d.get("encoding")))));
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

    /** The store's columns for {@code taps}, in stored order. */
    public static Column[] columns(List<String> taps) {
        return columns(taps, 1, false);
    }

    /** The store's columns: see {@link #schema(List, int, boolean)}. */
    public static Column[] columns(List<String> taps, int teachers, boolean views) {
        return java.util.Arrays.stream(schema(taps, teachers, views).fieldNames()).map(functions::col).toArray(Column[]::new);
    }

    public static StructType schema(List<String> taps) {
        return schema(taps, 1, false);
    }

    /**
     * The store's schema: an ensemble of {@code teachers > 1} adds {@value #MEMBER_LOGITS} after the taps, a store with
     * augmented {@code views} the {@link #VIEW_COLUMNS} last.
     */
    public static StructType schema(List<String> taps, int teachers, boolean views) {
        StructType s = new StructType()
                .add(ID, StringType, false)
                .add(SPLIT, StringType, false)
                .add(LABEL, IntegerType, false)
                .add(IMAGE_HASH, LongType, false)
                .add(LOGITS, DataTypes.createArrayType(FloatType, false), false);
        for (String tap : taps) {
            s = s.add(featureColumn(tap), BinaryType, false);
        }
        if (teachers > 1) {
            s = s.add(MEMBER_LOGITS, DataTypes.createArrayType(DataTypes.createArrayType(FloatType, false), false), false);
        }
        if (views) {
            s = s.add(VIEW, IntegerType, false).add(VIEW_DX, IntegerType, false).add(VIEW_DY, IntegerType, false)
                    .add(VIEW_FLIP, DataTypes.BooleanType, false);
        }
        return s;
    }
}
