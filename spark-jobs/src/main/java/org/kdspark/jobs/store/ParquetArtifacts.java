package org.kdspark.jobs.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetOutputFormat;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.provenance.Provenance;

/**
 * Writes and opens Parquet datasets that carry provenance: in every file footer (key {@link #FOOTER_KEY})
 * and in a sidecar {@code _provenance.json} that Spark's readers skip (leading underscore).
 *
 * <p>The sidecar is written after Spark has committed the data, so its presence marks a complete dataset.
 */
public final class ParquetArtifacts {

    public static final String FOOTER_KEY = "kd.provenance";
    public static final String SIDECAR = "_provenance.json";

    private ParquetArtifacts() {
    }

    /** Writes {@code data} to {@code uri} (replacing it) with {@code provenance} in footers and sidecar. */
    public static void write(Dataset<Row> data, String uri, Provenance provenance) {
        writeData(data, uri, provenance, Map.of());
        writeSidecar(data.sparkSession(), uri, provenance);
    }

    /**
     * The first half of {@link #write(Dataset, String, Provenance)}, with writer {@code options} (e.g.
     * {@link #plainEncoded}): the Parquet files of {@code data} at {@code uri} (replacing it), {@code provenance} in
     * every footer, but no sidecar, so that the dataset reads as incomplete until the caller, having checked what was
     * written, completes it with {@link #writeSidecar}.
     */
    public static void writeData(Dataset<Row> data, String uri, Provenance provenance, Map<String, String> options) {
        files(data.sparkSession()).delete(uri + "/" + SIDECAR);
        String footer;
        try {
            footer = Provenance.json().writeValueAsString(Map.of(FOOTER_KEY, provenance.toJson()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        data.write()
                .format(ProvenanceParquetFormat.class.getName())
                .option(ProvenanceParquetFormat.METADATA_OPTION, footer)
                .options(options)
                .mode(SaveMode.Overwrite)
                .save(uri);
    }

    /**
     * Reads the provenance of the dataset at {@code uri}, checking its kind and schema version.
     *
     * @throws Provenance.IncompatibleArtifactException when absent (incomplete or foreign dataset) or mismatched
     */
    public static Provenance provenance(SparkSession spark, String uri, String kind, int schemaVersion) {
        HadoopFiles files = files(spark);
        String sidecar = uri + "/" + SIDECAR;
        if (!files.exists(sidecar)) {
            throw new Provenance.IncompatibleArtifactException("no " + kind + " at " + uri + " (missing " + SIDECAR
                    + "): the path is wrong or the job that writes it did not finish; run it again");
        }
        Provenance p = Provenance.fromJson(files.readString(sidecar));
        p.requireCompatible(kind, schemaVersion, uri);
        return p;
    }

    /** Opens a dataset after checking its provenance. */
    public static Dataset<Row> read(SparkSession spark, String uri, String kind, int schemaVersion) {
        provenance(spark, uri, kind, schemaVersion);
        return spark.read().parquet(uri);
    }

    /** The footer key-value metadata of the first Parquet file under {@code uri}. */
    public static Map<String, String> footerMetadata(Configuration conf, String uri) {
        try {
            FileStatus first = parquetFiles(conf, uri).stream().findFirst()
                    .orElseThrow(() -> new IOException("no .parquet file under " + uri));
            try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromStatus(first, conf))) {
                return reader.getFooter().getFileMetaData().getKeyValueMetaData();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writer options that turn Parquet's dictionary encoding off for every leaf column of {@code schema} but those of
     * the top-level columns {@code dictionaryColumns}. A column whose values are distinct per row (ids, hashes, logits,
     * feature cells) gains nothing from a dictionary, yet the writer builds one for each page, hashing every value,
     * before it falls back to plain encoding: for the soft-label store that was the writer's largest cost.
     */
    public static Map<String, String> plainEncoded(StructType schema, Set<String> dictionaryColumns) {
        Map<String, String> options = new LinkedHashMap<>();
        for (StructField f : schema.fields()) {
            if (!dictionaryColumns.contains(f.name())) {
                options.put(ParquetOutputFormat.ENABLE_DICTIONARY + "#" + leafPath(f.name(), f.dataType()), "false");
            }
        }
        return options;
    }

    /** The Parquet path of a column's leaf as Spark writes it (lists in the standard three-level form). */
    private static String leafPath(String path, DataType type) {
        if (type instanceof ArrayType array) {
            return leafPath(path + ".list.element", array.elementType());
        }
        if (type instanceof StructType) {
            throw new IllegalArgumentException("column " + path + " is a struct: name its leaves");
        }
        return path;
    }

    /**
     * Rows of the Parquet files under {@code uri}, summed from their footers: the count of what is on the file system,
     * without a Spark job.
     */
    public static long rows(Configuration conf, String uri) {
        try {
            long rows = 0;
            for (FileStatus f : parquetFiles(conf, uri)) {
                try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromStatus(f, conf))) {
                    rows += reader.getRecordCount();
                }
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Parquet files directly under {@code uri}. */
    private static List<FileStatus> parquetFiles(Configuration conf, String uri) throws IOException {
        Path dir = new Path(uri);
        return Arrays.stream(dir.getFileSystem(conf).listStatus(dir)).filter(s -> s.getPath().getName().endsWith(".parquet")).toList();
    }

    /** Writes (or replaces) the sidecar of a dataset whose files are complete: the mark that it is. */
    public static void writeSidecar(SparkSession spark, String uri, Provenance provenance) {
        files(spark).writeStringAtomically(uri + "/" + SIDECAR, provenance.toJson());
    }

    /** Bytes of the Parquet files under {@code uri}. */
    public static long bytes(SparkSession spark, String uri) {
        return files(spark).size(uri);
    }

    private static HadoopFiles files(SparkSession spark) {
        return new HadoopFiles(spark.sparkContext().hadoopConfiguration());
    }
}
