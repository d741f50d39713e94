package org.kdspark.jobs.sources;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.kd.data.InputSpec;

/**
 * A raw image set that the ingest job reads into the image table: one implementation per {@code dataset.format}. A
 * source reads every image it lists, in parallel, and never loses one: each becomes a row of the table or a reject
 * with its reason, and {@link Images#filesSeen()} counts them all.
 *
 * <p>Adding a source is one class implementing this interface, one case in {@link #of}, and a component test with
 * corrupt members (docs/extending.md).
 */
public interface ImageSource {

    /** The column of {@link #DECODED} holding why an image was rejected; null for a usable image. */
    String REJECT_REASON = "reject_reason";

    /** The decoded rows: the image table's columns and {@value #REJECT_REASON}. */
    StructType DECODED = ImageTable.SCHEMA.add(REJECT_REASON, DataTypes.StringType, true);

    /**
     * A hash of what identifies the images beyond the dataset config (a folder's listing of paths, sizes and times; a
     * manifest's rows), so that a changed input is ingested again; empty when the config alone identifies them.
     */
    String fingerprint();

    /** Reads and decodes every image. */
    Images read(SparkSession spark);

    /**
     * What a source read.
     *
     * @param decoded   one row per listed file, {@link #DECODED}
     * @param classes   class names, in label order; null when they are the class indices, numbered from the largest
     * @param filesSeen files listed: every one is a row of {@code decoded}; -1 when they are known only by reading them
     * @param train     training images when the source knows the count without a Spark job, else -1 (counted)
     * @param test      as {@code train}, for the test split
     */
    record Images(Dataset<Row> decoded, List<String> classes, InputSpec spec, long filesSeen, long train, long test) {

        /** Whether the source knows its split counts, and so has no rejects. */
        public boolean counted() {
            return train >= 0 && test >= 0;
        }
    }

    /**
     * The split a folder (or path part) named {@code name} holds: {@code train}, {@code test} (also for ImageNet's
     * {@code val} and {@code validation}), or null for any other name.
     */
    static String splitNamed(String name) {
        return switch (name) {
            case ImageTable.TRAIN -> ImageTable.TRAIN;
            case ImageTable.TEST, "val", "validation" -> ImageTable.TEST;
            default -> null;
        };
    }

    /** The source {@code dataset.format} names. */
    static ImageSource of(SparkSession spark, KdConfig.Dataset dataset) {
        return switch (dataset.format()) {
            case IDX -> new IdxSource(dataset);
            case FOLDER -> new FolderSource(spark, dataset);
            case MANIFEST -> new ManifestSource(spark, dataset);
            case WEBDATASET -> new WebDatasetSource(spark, dataset);
            case PARQUET -> new ParquetImagesSource(spark, dataset);
        };
    }
}
