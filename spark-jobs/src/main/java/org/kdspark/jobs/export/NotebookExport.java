package org.kdspark.jobs.export;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.provenance.Provenance;

/**
 * Writes {@code OUTPUT/export/}: a small copy of a run's soft labels and of a few of its images in formats
 * that Python reads with numpy and pandas alone, for the notebooks in {@code notebooks/} on machines without
 * a Parquet reader (pyarrow).
 *
 * <pre>
 * OUTPUT/export/soft_labels.csv         header; id, split, label, logit_0 .. logit_K-1; every row of the
 *                                       soft-label store, sorted by split then id; raw logits (not softened)
 * OUTPUT/export/thumbnails_SPLIT.bin    raw uint8 pixels of up to N images of SPLIT, CHW, one after another
 * OUTPUT/export/thumbnails_SPLIT.json   their index: one entry per image with id, label, teacher prediction
 *                                       and confidence, why it was picked, byte offset and [C, H, W] shape
 * OUTPUT/export/export.json             provenance (kind notebook-export): the files, their columns and
 *                                       shapes, the class names, and a summary of the run it was taken from
 * </pre>
 *
 * <p>Thumbnails of a split are, first, up to half of N images on which the teacher's arg-max disagrees with
 * the label, most confident first (label-noise candidates), then images taken class by class in id order
 * until N. numpy reads one with
 * {@code np.fromfile(bin, np.uint8)[offset:offset + C*H*W].reshape(C, H, W)}.
 *
 * <p>{@code export.json} is written last: its presence marks a complete export.
 */
public final class NotebookExport {

    public static final String KIND = "notebook-export";
    public static final int SCHEMA_VERSION = 1;

    public static final String DIR = "export";
    public static final String SOFT_LABELS_CSV = "soft_labels.csv";
    public static final String MANIFEST = "export.json";
    /** Most thumbnails a split may ask for: the export stays small whatever the run's size. */
    public static final int MAX_THUMBNAILS_PER_SPLIT = 2048;

    static final String DISAGREES = "teacher_disagrees";
    static final String CLASS_SAMPLE = "class_sample";

    /** What was written. */
    public record Result(String directory, long rows, int numClasses, Map<String, Integer> thumbnails, long bytes, double seconds) {
    }

    private NotebookExport() {
    }

    /** The export directory of a run. */
    public static String directory(RunLayout layout) {
        return layout.root() + "/" + DIR;
    }

    public static String thumbnailsBin(String split) {
        return "thumbnails_" + split + ".bin";
    }

    public static String thumbnailsIndex(String split) {
        return "thumbnails_" + split + ".json";
    }

    /**
     * Writes the export of the run at {@code layout} (replacing an earlier one).
     *
     * @param thumbnailsPerSplit images to copy per split, 0 to {@value #MAX_THUMBNAILS_PER_SPLIT}
     * @throws IllegalArgumentException for a bad count
     * @throws Provenance.IncompatibleArtifactException when the run has no complete image table or soft-label store
     */
    public static Result run(SparkSession spark, RunLayout layout, int thumbnailsPerSplit) {
        if (thumbnailsPerSplit < 0 || thumbnailsPerSplit > MAX_THUMBNAILS_PER_SPLIT) {
            throw new UserInputException("thumbnails per split must be between 0 and " + MAX_THUMBNAILS_PER_SPLIT + ", got "
                    + thumbnailsPerSplit);
        }
        long start = System.nanoTime();
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        StoreVersion store = SoftLabelStore.open(spark, layout.softLabels());
        Provenance labelsProvenance = store.provenance();
        Provenance imagesProvenance = ParquetArtifacts.provenance(spark, layout.images(), ImageTable.KIND, ImageTable.SCHEMA_VERSION);
        Dataset<Row> images = ImageTable.read(spark, layout.images());
        // the export is dense whatever the store's logits encoding: the notebooks read logit_k columns
        Dataset<Row> labels = store.labelsFor(spark, images)
                .withColumn(SoftLabelStore.LOGITS, store.signals().get(SoftLabelStore.LOGITS).dense());
        List<?> classes = (List<?>) labelsProvenance.details().get("classes");
        int numClasses = classes.size();

        String dir = directory(layout);
        files.delete(dir + "/" + MANIFEST);
        long rows = writeSoftLabelsCsv(files, labels, numClasses, dir);

        Dataset<Row> scored = scored(labels);
        Map<String, Integer> thumbnailCounts = new LinkedHashMap<>();
        Map<String, Object> thumbnailFiles = new LinkedHashMap<>();
        for (String split : List.of(ImageTable.TRAIN, ImageTable.TEST)) {
            List<Map<String, Object>> index = writeThumbnails(files, scored, images, split, thumbnailsPerSplit, dir);
            thumbnailCounts.put(split, index.size());
            thumbnailFiles.put(split, index);
        }

        List<String> columns = csvColumns(numClasses);
        Map<String, Object> described = new LinkedHashMap<>();
        described.put(SOFT_LABELS_CSV, Map.of(
                "format", "csv with header, comma-separated, sorted by split then id",
                "rows", rows,
                "columns", columns,
                "meaning", "the teacher's raw logits (not softened) for every row of the soft-label store; "
                        + "class names of label and logit_k in 'classes'"));
        for (String split : thumbnailCounts.keySet()) {
            described.put(thumbnailsBin(split), Map.of(
                    "format", "raw uint8, the CHW pixels of each image one after another, no header",
                    "images", thumbnailCounts.get(split),
                    "index", thumbnailsIndex(split),
                    "numpy", "np.fromfile(path, np.uint8)[offset:offset + c*h*w].reshape(c, h, w)"));
            described.put(thumbnailsIndex(split), Map.of(
                    "format", "json list, one object per image in file order",
                    "fields", List.of("id", "label", "teacher_prediction", "teacher_confidence", "selected", "offset", "shape"),
                    "selected", DISAGREES + ": the teacher's arg-max differs from the label (most confident first, up to half); "
                            + CLASS_SAMPLE + ": class by class in id order"));
        }
        long bytes = files.size(dir);
        double seconds = (System.nanoTime() - start) / 1e9;
        Provenance manifest = Provenance.of(KIND, SCHEMA_VERSION, "notebook-export")
                .withEnvironment("spark", spark.version())
                .withConfig(labelsProvenance.config())
                .withInput("soft_labels", store.uri())
                .withInput("soft_labels_created_at", labelsProvenance.createdAt())
                .withInput("images", layout.images())
                .withInput("images_created_at", imagesProvenance.createdAt())
                .withInput("teacher_sha256", labelsProvenance.inputs().getOrDefault("teacher_sha256", ""))
                .withCount("rows", rows)
                .withCount("thumbnails_" + ImageTable.TRAIN, thumbnailCounts.get(ImageTable.TRAIN))
                .withCount("thumbnails_" + ImageTable.TEST, thumbnailCounts.get(ImageTable.TEST))
                .withDetail("classes", classes)
                .withDetail("num_classes", numClasses)
                .withDetail("input_spec", labelsProvenance.details().get("input_spec"))
                .withDetail("files", described)
                .withDetail("bytes", bytes)
                .withDetail("seconds", seconds)
                .withDetail("source", Map.of(
                        SoftLabelStore.KIND, summary(labelsProvenance),
                        ImageTable.KIND, summary(imagesProvenance)));
        files.writeStringAtomically(dir + "/" + MANIFEST, manifest.toJson());
        return new Result(dir, rows, numClasses, thumbnailCounts, bytes, seconds);
    }

    /** Column names of {@code soft_labels.csv}. */
    public static List<String> csvColumns(int numClasses) {
        List<String> columns = new ArrayList<>(List.of(SoftLabelStore.ID, SoftLabelStore.SPLIT, SoftLabelStore.LABEL));
        for (int k = 0; k < numClasses; k++) {
            columns.add("logit_" + k);
        }
        return columns;
    }

    /** One CSV file with a header under a stable name: Spark writes a directory of parts, we keep its single part. */
    private static long writeSoftLabelsCsv(HadoopFiles files, Dataset<Row> labels, int numClasses, String dir) {
        List<Column> select = new ArrayList<>(List.of(col(SoftLabelStore.ID), col(SoftLabelStore.SPLIT), col(SoftLabelStore.LABEL)));
        for (int k = 0; k < numClasses; k++) {
            select.add(col(SoftLabelStore.LOGITS).getItem(k).as("logit_" + k));
        }
        String staging = dir + "/_" + SOFT_LABELS_CSV + ".parts";
        String target = dir + "/" + SOFT_LABELS_CSV;
        labels.select(select.toArray(Column[]::new))
                .repartition(1)
                .sortWithinPartitions(SoftLabelStore.SPLIT, SoftLabelStore.ID)
                .write()
                .mode(SaveMode.Overwrite)
                .option("header", "true")
                .csv(staging);
        try {
            FileSystem fs = files.fs(staging);
            FileStatus[] parts = fs.listStatus(new Path(staging), p -> p.getName().startsWith("part-"));
            files.delete(target);
            if (parts.length == 0) {
                // an empty store: Spark may write no part at all, but the file must still exist with its header
                files.writeString(target, String.join(",", csvColumns(numClasses)) + "\n");
            } else if (parts.length > 1) {
                throw new IllegalStateException("expected one CSV part under " + staging + ", found " + Arrays.toString(parts));
            } else if (!fs.rename(parts[0].getPath(), new Path(target))) {
                throw new IOException("rename " + parts[0].getPath() + " -> " + target + " failed");
            }
            files.delete(staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
        return files.exists(target) ? countLines(files, target) - 1 : 0;
    }

    private static long countLines(HadoopFiles files, String uri) {
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(files.open(uri), java.nio.charset.StandardCharsets.UTF_8))) {
            return in.lines().count();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri, e);
        }
    }

    /** The store with the teacher's arg-max ({@code prediction}) and its softmax probability ({@code confidence}). */
    static Dataset<Row> scored(Dataset<Row> labels) {
        return labels
                .withColumn("max_logit", expr("array_max(logits)"))
                .withColumn("prediction", expr("cast(array_position(logits, max_logit) - 1 as int)"))
                .withColumn("confidence", expr("1.0D / aggregate(logits, 0.0D, (acc, x) -> acc + exp(x - max_logit))"))
                .select(SoftLabelStore.ID, SoftLabelStore.SPLIT, SoftLabelStore.LABEL, "prediction", "confidence");
    }

    private static List<Map<String, Object>> writeThumbnails(HadoopFiles files, Dataset<Row> scored, Dataset<Row> images, String split,
            int count, String dir) {
        Dataset<Row> ofSplit = scored.filter(col(SoftLabelStore.SPLIT).equalTo(split));
        List<Row> picked = new ArrayList<>(ofSplit
                .filter(col("prediction").notEqual(col(SoftLabelStore.LABEL)))
                .orderBy(col("confidence").desc(), col(SoftLabelStore.ID))
                .withColumn("selected", lit(DISAGREES))
                .limit(count / 2)
                .collectAsList());
        List<String> disagreeing = picked.stream().map(r -> r.<String>getAs(SoftLabelStore.ID)).toList();
        Dataset<Row> rest = disagreeing.isEmpty() ? ofSplit : ofSplit.filter(col(SoftLabelStore.ID).isin(disagreeing.toArray()).unary_$bang());
        picked.addAll(rest
                .withColumn("rank", row_number().over(Window.partitionBy(SoftLabelStore.LABEL).orderBy(SoftLabelStore.ID)))
                .orderBy(col("rank"), col(SoftLabelStore.LABEL))
                .drop("rank")
                .withColumn("selected", lit(CLASS_SAMPLE))
                .limit(count - picked.size())
                .collectAsList());

        Map<String, Row> pixels = new HashMap<>();
        if (!picked.isEmpty()) {
            Object[] ids = picked.stream().map(r -> r.getAs(SoftLabelStore.ID)).toArray();
            for (Row r : images.filter(col(ImageTable.ID).isin(ids))
                    .select(ImageTable.ID, ImageTable.CHANNELS, ImageTable.HEIGHT, ImageTable.WIDTH, ImageTable.PIXELS)
                    .collectAsList()) {
                pixels.put(r.getString(0), r);
            }
        }
        ByteArrayOutputStream bin = new ByteArrayOutputStream();
        List<Map<String, Object>> index = new ArrayList<>();
        for (Row r : picked) {
            String id = r.getAs(SoftLabelStore.ID);
            Row image = pixels.get(id);
            if (image == null) {
                throw new IllegalStateException("soft-label row " + id + " has no image in the image table: the store and the table "
                        + "come from different runs; run 'kd soft-labels' again");
            }
            byte[] bytes = image.getAs(ImageTable.PIXELS);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("id", id);
            entry.put("label", r.<Integer>getAs(SoftLabelStore.LABEL));
            entry.put("teacher_prediction", r.<Integer>getAs("prediction"));
            entry.put("teacher_confidence", r.<Double>getAs("confidence"));
            entry.put("selected", r.<String>getAs("selected"));
            entry.put("offset", bin.size());
            entry.put("shape", List.of(image.getInt(1), image.getInt(2), image.getInt(3)));
            index.add(entry);
            bin.writeBytes(bytes);
        }
        files.writeBytes(dir + "/" + thumbnailsBin(split), bin.toByteArray());
        try {
            files.writeString(dir + "/" + thumbnailsIndex(split), Provenance.json().writeValueAsString(index));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return index;
    }

    private static Map<String, Object> summary(Provenance p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("created_at", p.createdAt());
        m.put("producer", p.producer());
        m.put("code", p.code());
        m.put("inputs", p.inputs());
        m.put("counts", p.counts());
        return m;
    }
}
