package org.kdspark.jobs.store;

import java.io.IOException;
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
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.codec.TensorEncoding;

/**
 * Bytes per row of each per-column encoding on a real soft-label store (not a test: run by hand, see README
 * "Encodings"). Reads the store's logits ({@code array<float>}) and one float16 feature tap, re-encodes every row
 * with each encoding into one Parquet table (Spark, zstd, as the store is written), and reads each column's
 * compressed size from the Parquet footers.
 *
 * <p>Arguments: STORE TAP C H W OUT.
 */
public final class EncodingBytesPerRow {

    private EncodingBytesPerRow() {
    }

    public static void main(String[] args) throws IOException {
        String store = args[0];
        String tap = args[1];
        int[] tapShape = {Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4])};
        String out = args[5];
        List<String> logitEncodings = List.of("float32", "float16", "topk:1", "topk:3", "topk:5", "topk:3:float16");
        List<String> featureEncodings = List.of("float32", "float16", "avgpool:4x4", "avgpool:2x2", "avgpool:1x1", "attention",
                "attention:float32");
        SparkSession spark = SparkSession.builder().master("local[2]").appName("encoding bytes")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.parquet.compression.codec", "zstd").getOrCreate();
        Dataset<Row> in = SoftLabelStore.open(spark, store).read(spark).select(SoftLabelStore.LOGITS, SoftLabelStore.featureColumn(tap));
        long rows = in.count();
        StructType schema = new StructType();
        for (String e : logitEncodings) {
            schema = schema.add(name("logits", e), DataTypes.BinaryType, false);
        }
        for (String e : featureEncodings) {
            schema = schema.add(name(tap, e), DataTypes.BinaryType, false);
        }
        MapFunction<Row, Row> encode = r -> {
            List<Float> l = r.getList(0);
            float[] logits = new float[l.size()];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = l.get(i);
            }
            float[] features = TensorEncoding.FLOAT16.decode((byte[]) r.get(1));
            List<Object> cells = new ArrayList<>();
            for (String e : logitEncodings) {
                cells.add(ColumnEncoding.parse(e).encode(logits, 0, new int[] {logits.length}));
            }
            for (String e : featureEncodings) {
                cells.add(ColumnEncoding.parse(e).encode(features, 0, tapShape));
            }
            return RowFactory.create(cells.toArray());
        };
        in.map(encode, Encoders.row(schema)).write().mode("overwrite").parquet(out);
        Map<String, Long> bytes = columnBytes(spark.sparkContext().hadoopConfiguration(), out);
        Map<String, Long> original = columnBytes(spark.sparkContext().hadoopConfiguration(), store);
        System.out.printf("rows %d%n", rows);
        original.forEach((c, b) -> System.out.printf("store as written  %-40s %8.1f B/row%n", c, b / (double) rows));
        bytes.forEach((c, b) -> System.out.printf("re-encoded        %-40s %8.1f B/row%n", c, b / (double) rows));
        spark.stop();
    }

    private static String name(String column, String encoding) {
        return column + "__" + encoding.replaceAll("[^A-Za-z0-9]", "_");
    }

    /** Compressed bytes per top-level column over every Parquet file under {@code dir}. */
    static Map<String, Long> columnBytes(Configuration conf, String dir) throws IOException {
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
    }
}
