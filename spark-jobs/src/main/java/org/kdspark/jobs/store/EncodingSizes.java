package org.kdspark.jobs.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.error.UserInputException;

/**
 * Bytes per row of each per-column encoding ({@link ColumnEncoding}) on a real soft-label store: every row's logits
 * and one feature tap are re-encoded with each encoding into one Parquet table (Spark, zstd, as the store is written)
 * and each column's compressed size is read from the Parquet footers.
 */
public final class EncodingSizes {

    public static final List<String> LOGIT_ENCODINGS = List.of("float32", "float16", "topk:1", "topk:3", "topk:5", "topk:3:float16");
    public static final List<String> FEATURE_ENCODINGS = List.of("float32", "float16", "avgpool:4x4", "avgpool:2x2", "avgpool:1x1",
            "attention", "attention:float32");

    private EncodingSizes() {
    }

    /**
     * Re-encodes the current version of the store at {@code store} into {@code scratch} and returns bytes per row by
     * column: {@code logits/ENCODING} for each of {@link #LOGIT_ENCODINGS}, {@code TAP/ENCODING} for each of
     * {@link #FEATURE_ENCODINGS} ({@code tap} a stored feature map {@code [C, H, W]}).
     */
    public static Map<String, Double> bytesPerRow(SparkSession spark, String store, String tap, String scratch) {
        StoreVersion version = SoftLabelStore.open(spark, store);
        SoftLabelStore.Signal signal = version.signals().get(tap);
        if (signal == null) {
            throw new UserInputException("the store at " + store + " has no feature tap '" + tap + "': it holds " + version.signals().keySet());
        }
        if (!(signal.encoding() instanceof ColumnEncoding.Dense)) {
            throw new UserInputException("feature tap '" + tap + "' is stored as " + signal.encoding().configName()
                    + ": re-encoding needs it stored whole (float16 or float32)");
        }
        ColumnEncoding stored = signal.encoding();
        int[] shape = signal.shape();
        if (shape.length != 3) {
            throw new UserInputException("feature tap '" + tap + "' has shape " + java.util.Arrays.toString(shape)
                    + ": the pooling and attention encodings need a feature map [C, H, W]");
        }
        // a top-k store's logits come back as their dense reconstruction: its topk:K figures are exact for the stored
        // K and below, the others measure the reconstruction rather than the teacher's logits
        Dataset<Row> in = version.read(spark).select(version.signals().get(SoftLabelStore.LOGITS).dense(), functions.col(signal.column()));
        long rows = in.count();
        StructType schema = new StructType();
        for (String e : LOGIT_ENCODINGS) {
            schema = schema.add(column("logits", e), DataTypes.BinaryType, false);
        }
        for (String e : FEATURE_ENCODINGS) {
            schema = schema.add(column(tap, e), DataTypes.BinaryType, false);
        }
        MapFunction<Row, Row> encode = r -> {
            List<Float> l = r.getList(0);
            float[] logits = new float[l.size()];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = l.get(i);
            }
            float[] features = stored.decode((byte[]) r.get(1), shape);
            List<Object> cells = new ArrayList<>();
            for (String e : LOGIT_ENCODINGS) {
                cells.add(ColumnEncoding.parse(e).encode(logits, 0, new int[] {logits.length}));
            }
            for (String e : FEATURE_ENCODINGS) {
                cells.add(ColumnEncoding.parse(e).encode(features, 0, shape));
            }
            return RowFactory.create(cells.toArray());
        };
        in.map(encode, Encoders.row(schema)).write().mode(SaveMode.Overwrite).parquet(scratch);
        Map<String, Double> out = new LinkedHashMap<>();
        Map<String, Long> bytes = columnBytes(spark.sparkContext().hadoopConfiguration(), scratch);
        for (String e : LOGIT_ENCODINGS) {
            out.put("logits/" + e, bytes.getOrDefault(column("logits", e), 0L) / (double) rows);
        }
        for (String e : FEATURE_ENCODINGS) {
            out.put(tap + "/" + e, bytes.getOrDefault(column(tap, e), 0L) / (double) rows);
        }
        return out;
    }

    private static String column(String column, String encoding) {
        return column + "__" + encoding.replaceAll("[^A-Za-z0-9]", "_");
    }

    /** Compressed bytes per top-level column over every Parquet file directly under {@code dir}. */
    public static Map<String, Long> columnBytes(Configuration conf, String dir) {
        try {
            FileSystem fs = new Path(dir).getFileSystem(conf);
            Map<String, Long> out = new LinkedHashMap<>();
            for (FileStatus f : fs.listStatus(new Path(dir))) {
                if (!f.getPath().getName().endsWith(".parquet")) {
                    continue;
                }
                try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(f.getPath(), conf))) {
                    ParquetMetadata footer = reader.getFooter();
                    for (BlockMetaData block : footer.getBlocks()) {
                        for (ColumnChunkMetaData c : block.getColumns()) {
                            out.merge(c.getPath().toArray()[0], c.getTotalSize(), Long::sum);
                        }
                    }
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Parquet footers under " + dir, e);
        }
    }
}
