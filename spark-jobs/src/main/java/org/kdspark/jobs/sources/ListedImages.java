package org.kdspark.jobs.sources;

import java.io.FileNotFoundException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;

/**
 * The files of a listed image set (a folder, a manifest) with their class index (-1: none) and, when the listing says,
 * their split; and their decoding into the image table's rows, converted to {@code dataset.channels/height/width}. Ids
 * are paths relative to {@code root}.
 *
 * @param fingerprint a hash of the listing, so that a changed input is ingested again
 */
record ListedImages(String root, List<String> classes, List<Row> rows, String fingerprint) {

    /** (path, class_index, split): a listing's rows. */
    static final StructType SCHEMA = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("class_index", DataTypes.IntegerType, false)
            .add("split", DataTypes.StringType, true);

    /** (path, class_index, split, content, read_error): the listing's rows with their files' bytes, or why they could not be read. */
    static final StructType WITH_CONTENT = SCHEMA
            .add("content", DataTypes.BinaryType, true)
            .add("read_error", DataTypes.StringType, true);

    private static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp");

    static boolean isImage(String path) {
        int dot = path.lastIndexOf('.');
        return dot > 0 && IMAGE_EXTENSIONS.contains(path.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * Decodes the listed images. {@code contents} ({@link #WITH_CONTENT}: every listed file with its class, split and bytes)
     * are read by the source's own tasks (a folder's, with Spark's binaryFile source); when null (a manifest, whose files
     * may be anywhere) each task reads its share of the listing, and a listed file that is missing or unreadable is
     * rejected with the reason.
     */
    ImageSource.Images decode(SparkSession spark, KdConfig.Dataset dataset, Dataset<Row> contents) {
        ImageGeometry geometry = ImageGeometry.of(dataset);
        Dataset<Row> withContent;
        if (contents != null) {
            withContent = contents;
        } else {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            Broadcast<SerializableConfiguration> hadoop = jsc.broadcast(new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
            withContent = spark.createDataFrame(rows, SCHEMA).repartition(dataset.partitions()).mapPartitions(
                    (MapPartitionsFunction<Row, Row>) in -> readAll(in, hadoop.value().value()), Encoders.row(WITH_CONTENT));
        }
        String base = root;
        double testFraction = dataset.testFraction();
        Dataset<Row> decoded = withContent.mapPartitions(
                (MapPartitionsFunction<Row, Row>) in -> decodeAll(in, geometry, base, testFraction), Encoders.row(ImageSource.DECODED));
        // files the source's own tasks read are counted as read: a file added to a folder after the listing is seen, not lost
        return new ImageSource.Images(decoded, classes, geometry.spec(), contents != null ? -1 : rows.size(), -1, -1);
    }

    /** The listed rows with their files' bytes, read one at a time as the decoder asks: a task holds one file, not its share. */
    private static Iterator<Row> readAll(Iterator<Row> rows, org.apache.hadoop.conf.Configuration conf) {
        HadoopFiles files = new HadoopFiles(conf);
        return mapped(rows, r -> {
            String path = r.getString(0);
            byte[] content = null;
            String error = null;
            try {
                content = files.readBytes(path);
            } catch (UncheckedIOException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                error = (cause instanceof FileNotFoundException ? "missing: " : "unreadable: ") + cause.getMessage();
            }
            return RowFactory.create(path, r.get(1), r.get(2), content, error);
        });
    }

    private static Iterator<Row> decodeAll(Iterator<Row> rows, ImageGeometry geometry, String root, double testFraction) {
        return mapped(rows, r -> {
            String path = r.getString(0);
            int label = r.getInt(1);
            String split = r.isNullAt(2) ? hashSplit(path, testFraction) : r.getString(2);
            String id = path.startsWith(root) ? path.substring(root.length()).replaceFirst("^/+", "") : path;
            byte[] content = r.isNullAt(3) ? null : (byte[]) r.get(3);
            try {
                if (!r.isNullAt(4)) {
                    throw new ImageDecoder.UndecodableImageException(r.getString(4));
                }
                if (label < 0) {
                    throw new ImageDecoder.UndecodableImageException("no class: not inside a class folder (expected ROOT/CLASS/"
                            + path.substring(path.lastIndexOf('/') + 1) + ") or no label in the manifest");
                }
                byte[] pixels = ImageDecoder.decode(content, geometry);
                return RowFactory.create(id, split, label, geometry.channels(), geometry.height(), geometry.width(), pixels, path, null);
            } catch (ImageDecoder.UndecodableImageException e) {
                return RowFactory.create(id, split, label, geometry.channels(), geometry.height(), geometry.width(), new byte[0], path, e.getMessage());
            }
        });
    }

    /** {@code rows} with {@code f} applied to each as it is asked for. */
    static Iterator<Row> mapped(Iterator<Row> rows, java.util.function.UnaryOperator<Row> f) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                return f.apply(rows.next());
            }
        };
    }

    /** A stable split from the path alone, so re-ingesting never moves an image between train and test. */
    static String hashSplit(String path, double testFraction) {
        long h = 1125899906842597L;
        for (int i = 0; i < path.length(); i++) {
            h = 31 * h + path.charAt(i);
        }
        double u = ((h ^ (h >>> 29)) & 0xFFFFFFL) / (double) 0x1000000L;
        return u < testFraction ? ImageTable.TEST : ImageTable.TRAIN;
    }
}
