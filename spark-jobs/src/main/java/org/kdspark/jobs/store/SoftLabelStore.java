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
import org.kdspark.kd.codec.LogitsEncoding;
import org.kdspark.kd.data.ImageView;
import org.kdspark.kd.error.JobFailedException;
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
 * logits          array&lt;float&gt;  not null  raw teacher logits, one per class (soft_labels.logits_encoding float32,
 *                                         the default)
 * logits_topk     binary        not null  instead of logits with soft_labels.logits_encoding topk:K: the K largest
 *                                         raw logits, the log-sum-exp of the rest and the K classes (ColumnEncoding.TopK)
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
    /**
     * The logits column of a store written with a {@code topk} logits encoding. A name of its own rather than a
     * {@code logits} column that changes type: a reader that expects {@code array<float>} logits (an older build, the
     * DuckDB check, a user's query) then fails on the missing column instead of misreading bytes.
     */
    public static final String LOGITS_TOPK = "logits_topk";
    /** How the provenance and the version key name the dense {@code array<float>} logits column. */
    public static final String DENSE_LOGITS = "array<float>";
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

    /** The column that holds the logits in {@code encoding}. */
    public static String logitsColumn(LogitsEncoding encoding) {
        return encoding instanceof LogitsEncoding.TopK ? LOGITS_TOPK : LOGITS;
    }

    /** How the provenance and the version key name a logits encoding: {@value #DENSE_LOGITS}, or its config spelling. */
    public static String logitsEncodingName(LogitsEncoding encoding) {
        return encoding instanceof LogitsEncoding.TopK t ? t.configName() : DENSE_LOGITS;
    }

    /**
     * A teacher signal held by the store: its column, its per-example shape as decoded and its encoding
     * ({@code null} for logits in a plain {@code array<float>} column). Every reader of a signal decodes it here, so
     * an encoding is known in one place.
     */
    public record Signal(String name, String column, int[] shape, ColumnEncoding encoding) implements java.io.Serializable {

        /** Values per example, as decoded. */
        public int width() {
            return ColumnEncoding.size(shape);
        }

        /**
         * Decodes field {@code field} of {@code row} (this signal's column) into {@code target} at {@code offset}.
         *
         * @throws IllegalStateException when the cell does not hold the shape the provenance gives
         */
        public void decodeInto(Row row, int field, float[] target, int offset) {
            int width = width();
            if (encoding == null) {
                List<Object> values = row.getList(field);
                if (values.size() != width) {
                    throw new IllegalStateException("column " + column + " of the soft-label store holds " + values.size()
                            + " values in a row, but its provenance says shape " + java.util.Arrays.toString(shape) + ": re-run 'kd soft-labels'");
                }
                for (int c = 0; c < width; c++) {
                    target[offset + c] = (Float) values.get(c);
                }
                return;
            }
            int decoded;
            try {
                decoded = encoding.decodeInto((byte[]) row.get(field), shape, target, offset);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("column " + column + " of the soft-label store does not decode as " + encoding.configName()
                        + " of shape " + java.util.Arrays.toString(shape) + " (" + e.getMessage() + "): re-run 'kd soft-labels'", e);
            }
            if (decoded != width) {
                throw new IllegalStateException("column " + column + " of the soft-label store holds " + decoded + " values in a row, but its"
                        + " provenance says shape " + java.util.Arrays.toString(shape) + ": re-run 'kd soft-labels'");
            }
        }

        /** This signal's column decoded to a dense {@code array<float>}, for readers that work with Spark columns. */
        public Column dense() {
            if (encoding == null) {
                return functions.col(column);
            }
            ColumnEncoding e = encoding;
            int[] s = shape;
            return functions.udf((org.apache.spark.sql.api.java.UDF1<byte[], float[]>) cell -> e.decode(cell, s),
                    DataTypes.createArrayType(FloatType, false)).apply(functions.col(column));
        }
    }

    /**
     * The teacher's stored logits for the test images {@code ids}, in that order, decoded by the store's {@code logits}
     * signal (a top-k store gives its dense reconstruction: the same arg-max, the teacher's top-K probabilities at T=1).
     */
    public static float[] testLogits(Dataset<Row> store, Signal logits, List<String> ids) {
        int numClasses = logits.width();
        List<Row> rows = store.filter(functions.col(SPLIT).equalTo(ImageTable.TEST)).select(ID, logits.column()).collectAsList();
        Map<String, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            index.put(ids.get(i), i);
        }
        float[] out = new float[ids.size() * numClasses];
        int found = 0;
        for (Row r : rows) {
            Integer i = index.get(r.getString(0));
            if (i != null) {
                logits.decodeInto(r, 1, out, i * numClasses);
                found++;
            }
        }
        if (found != ids.size()) {
            throw new JobFailedException("the soft-label store has logits for " + found + " of " + ids.size()
                    + " test images: re-run 'kd soft-labels' for this image table");
        }
        return out;
    }

    /** The store's class count: {@code details.num_classes}, else the size of {@code details.classes}. */
    static int numClasses(Provenance store) {
        if (store.details().get("num_classes") instanceof Number n) {
            return n.intValue();
        }
        if (store.details().get("classes") instanceof List<?> classes) {
            return classes.size();
        }
        throw new Provenance.IncompatibleArtifactException("the soft-label store's provenance gives neither num_classes nor classes:"
                + " re-run 'kd soft-labels'");
    }

    /**
     * The signals a store holds, from its provenance: {@value #LOGITS} first (whatever its column and encoding), then
     * the feature taps in stored order.
     *
     * @throws Provenance.IncompatibleArtifactException for an encoding this build cannot decode, saying what to do
     */
    public static Map<String, Signal> signals(Provenance store) {
        Map<String, Signal> out = new LinkedHashMap<>();
        int numClasses = numClasses(store);
        Object logits = store.details().get("logits");
        String logitsColumn = LOGITS;
        ColumnEncoding logitsEncoding = null;
        if (logits instanceof Map<?, ?> l && l.get("encoding") != null && !DENSE_LOGITS.equals(l.get("encoding"))) {
            try {
                if (LogitsEncoding.parse(String.valueOf(l.get("encoding"))) instanceof LogitsEncoding.TopK t) {
                    logitsEncoding = t.cell();
                }
            } catch (IllegalArgumentException e) {
                throw new Provenance.IncompatibleArtifactException("the store's logits encoding " + e.getMessage() + ": this build cannot"
                        + " read these logits; re-run 'kd soft-labels' with this build (soft_labels.logits_encoding one of "
                        + LogitsEncoding.ALLOWED + ")");
            }
            logitsColumn = String.valueOf(l.get("column"));
        }
        out.put(LOGITS, new Signal(LOGITS, logitsColumn, new int[] {numClasses}, logitsEncoding));
        Object features = store.details().getOrDefault("features", Map.of());
        if (features instanceof Map<?, ?> f) {
            f.forEach((tap, value) -> {
                Map<?, ?> d = (Map<?, ?>) value;
                int[] shape = ((List<?>) d.get("shape")).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
                ColumnEncoding encoding;
                try {
                    encoding = ColumnEncoding.parse(String.valueOf(d.get("encoding")));
                } catch (IllegalArgumentException e) {
                    throw new Provenance.IncompatibleArtifactException("feature tap '" + tap + "' of the soft-label store: " + e.getMessage()
                            + ": this build cannot read it; re-run 'kd soft-labels' with this build");
                }
                out.put(String.valueOf(tap), new Signal(String.valueOf(tap), String.valueOf(d.get("column")), shape, encoding));
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

    /** The store's columns: see {@link #schema(List, int, boolean, LogitsEncoding)}. */
    public static Column[] columns(List<String> taps, int teachers, boolean views) {
        return columns(taps, teachers, views, LogitsEncoding.DENSE);
    }

    /** The store's columns: see {@link #schema(List, int, boolean, LogitsEncoding)}. */
    public static Column[] columns(List<String> taps, int teachers, boolean views, LogitsEncoding logitsEncoding) {
        return java.util.Arrays.stream(schema(taps, teachers, views, logitsEncoding).fieldNames()).map(functions::col).toArray(Column[]::new);
    }

    public static StructType schema(List<String> taps) {
        return schema(taps, 1, false);
    }

    /** The store's schema with dense logits: see {@link #schema(List, int, boolean, LogitsEncoding)}. */
    public static StructType schema(List<String> taps, int teachers, boolean views) {
        return schema(taps, teachers, views, LogitsEncoding.DENSE);
    }

    /**
     * The store's schema: the logits as {@code array<float>} in {@value #LOGITS}, or, with a top-k {@code logitsEncoding},
     * as its binary cell in {@value #LOGITS_TOPK}; an ensemble of {@code teachers > 1} adds {@value #MEMBER_LOGITS}
     * after the taps (always dense {@code array<array<float>>}, whatever the logits' encoding: no
     * reader trains from it, it is there to analyse the members),
     * a store with augmented {@code views} the {@link #VIEW_COLUMNS} last.
     */
    public static StructType schema(List<String> taps, int teachers, boolean views, LogitsEncoding logitsEncoding) {
        StructType s = new StructType()
                .add(ID, StringType, false)
                .add(SPLIT, StringType, false)
                .add(LABEL, IntegerType, false)
                .add(IMAGE_HASH, LongType, false)
                .add(logitsColumn(logitsEncoding), logitsEncoding instanceof LogitsEncoding.TopK ? BinaryType
                        : DataTypes.createArrayType(FloatType, false), false);
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
