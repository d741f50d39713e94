package org.kdspark.jobs.store;

import static org.apache.spark.sql.types.DataTypes.BinaryType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.provenance.Provenance;

/**
 * The Parquet image table written by {@code ingest}: one row per image, pixels as raw uint8 in CHW order.
 *
 * <pre>
 * id       string  not null  stable id, e.g. "fashion-mnist/train/00042", or the path under the image root
 * split    string  not null  "train" or "test"
 * label    int     not null  class index (class names in the provenance, details.classes)
 * channels int     not null  1 or 3
 * height   int     not null
 * width    int     not null
 * pixels   binary  not null  channels*height*width bytes, CHW, 0..255
 * source   string  not null  where the image came from (file URI, or IDX file and index)
 * </pre>
 */
public final class ImageTable {

    public static final String KIND = "image-table";
    public static final int SCHEMA_VERSION = 1;

    public static final String ID = "id";
    public static final String SPLIT = "split";
    public static final String LABEL = "label";
    public static final String CHANNELS = "channels";
    public static final String HEIGHT = "height";
    public static final String WIDTH = "width";
    public static final String PIXELS = "pixels";
    public static final String SOURCE = "source";

    public static final String TRAIN = "train";
    public static final String TEST = "test";

    public static final StructType SCHEMA = new StructType(new StructField[] {
        new StructField(ID, StringType, false, org.apache.spark.sql.types.Metadata.empty()),
        new StructField(SPLIT, StringType, false, org.apache.spark.sql.types.Metadata.empty()),
        new StructField(LABEL, IntegerType, false, org.apache.spark.sql.types.Metadata.empty()),
        new StructField(CHANNELS, IntegerType, false, org.apache.spark.sql.types.Metadata.empty()),
        new StructField(HEIGHT, IntegerType, false, org.apache.spark.sql.types.Metadata.empty()),
        new StructField(WIDTH, IntegerType, false, org.apache.spark.sql.types.Metadata.empty()),
        new StructField(PIXELS, BinaryType, false, org.apache.spark.sql.types.Metadata.empty()),
        new StructField(SOURCE, StringType, false, org.apache.spark.sql.types.Metadata.empty()),
    });

    /** Rejected inputs of {@code ingest}: the file, why it was rejected, and the split it was meant for. */
    public static final StructType REJECTS_SCHEMA = new StructType()
            .add("source", StringType, false)
            .add("reason", StringType, false)
            .add(SPLIT, StringType, true);

    private ImageTable() {
    }

    /**
     * The image table at {@code uri}, read with its known {@link #SCHEMA}: Spark does not infer it from a file's
     * footer, which costs a Spark job of its own on every read.
     */
    public static Dataset<Row> read(SparkSession spark, String uri) {
        return spark.read().schema(SCHEMA).parquet(uri);
    }

    /**
     * An image table with what its provenance says of it.
     *
     * @param classes the class names, in label order
     */
    public record Opened(String uri, Provenance provenance, Dataset<Row> rows, InputSpec spec, List<String> classes) {

        public int numClasses() {
            return classes.size();
        }

        /** Rows per split, as the provenance counts them. */
        public long count(String split) {
            return provenance.counts().getOrDefault(split, 0L);
        }
    }

    /**
     * The image table at {@code uri}, its provenance checked for kind and schema version.
     *
     * @throws Provenance.IncompatibleArtifactException when there is none, or one this build cannot read
     */
    public static Opened open(SparkSession spark, String uri) {
        Provenance provenance = ParquetArtifacts.provenance(spark, uri, KIND, SCHEMA_VERSION);
        Dataset<Row> rows = read(spark, uri);
        List<String> classes = ((List<?>) provenance.details().get("classes")).stream().map(String::valueOf).toList();
        return new Opened(uri, provenance, rows, inputSpec(provenance, rows), classes);
    }

    /**
     * The image shape of the table (all rows share it; ingest guarantees that): as its provenance records it, else read
     * from its first row (a Spark job).
     */
    public static InputSpec inputSpec(Provenance provenance, Dataset<Row> rows) {
        if (provenance.details().get("input_spec") instanceof String recorded) {
            return InputSpec.parse(recorded);
        }
        Row first = rows.select(CHANNELS, HEIGHT, WIDTH).first();
        return new InputSpec(first.getInt(0), first.getInt(1), first.getInt(2));
    }
}
