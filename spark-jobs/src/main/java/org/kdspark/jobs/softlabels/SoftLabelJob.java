package org.kdspark.jobs.softlabels;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.onnx.OnnxModelExport;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.spark.Sessions;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SignalSpec;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreManifest;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.jobs.store.StoreWriter;
import org.kdspark.jobs.store.TableImages;
import org.kdspark.jobs.store.Views;
import org.kdspark.jobs.teacher.PreparedTeacher;
import org.kdspark.jobs.teacher.TeacherBackend;
import org.kdspark.jobs.teacher.TeacherLabeler;
import org.kdspark.jobs.teacher.TeacherSource;
import org.kdspark.jobs.teacher.Teachers;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.progress.Progress;
import org.kdspark.kd.provenance.Provenance;

/**
 * Offline soft-label generation: runs the teacher over the image table in parallel and writes its raw logits and
 * selected feature maps to the {@link SoftLabelStore}, with provenance. Done once, read by every student run.
 *
 * <p>The job resolves three things and hands the work to them: the teacher ({@link TeacherSource} and
 * {@link Teachers#prepare}: the run's own, a file trained elsewhere, an ONNX classifier, or an ensemble, each checked
 * against the image table before any Spark work), the {@link SignalSpec} (what is stored and how, which keys the store
 * version with the teacher's SHA-256), and the {@link StoreWriter} of that version. The labelling itself is a
 * {@link TeacherLabeler}.
 *
 * <p>Incremental: images that the version already labelled (same id, same pixels) are skipped, so re-running with the
 * same teacher and images does no teacher work, and images added to the table later are labelled alone, as a new
 * batch. A new teacher writes a new version beside the old one.
 */
public final class SoftLabelJob {

    /**
     * What the job wrote.
     *
     * @param rows,train,test the version's rows after this run (all batches)
     * @param labelled        rows the teacher labelled in this run
     * @param reused          images of the table that the version had already labelled
     * @param bytes           the version's Parquet bytes
     * @param version         the store version, {@code teacher=SHA12_KEY8}
     * @param phases          seconds per phase, in order: {@code teacher} (loading the teacher and, for ONNX Runtime,
     *                        exporting and verifying it), {@code plan} (finding and counting the images to label),
     *                        {@code label} (the Spark stage that labels, encodes and writes), {@code commit}
     */
    public record Result(long rows, long train, long test, long labelled, long reused, long bytes, double bytesPerRow, double seconds,
            Map<String, List<Long>> featureShapes, String teacherSha256, String version, Map<String, Double> phases) {
    }

    /** Spark's floor on the number of file-scan partitions (default: the default parallelism). */
    static final String MIN_PARTITIONS = "spark.sql.files.minPartitionNum";
    /** Read partitions per core for the labelling scan; a user's {@link #MIN_PARTITIONS} overrides it. */
    static final int PARTITIONS_PER_CORE = 8;

    private static final Progress PROGRESS = Progress.of("soft-labels");

    private SoftLabelJob() {
    }

    public static Result run(SparkSession spark, KdConfig config, RunLayout layout) {
        long start = System.nanoTime();
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        KdConfig.SoftLabels sl = config.softLabels();
        ImageTable.Opened table = ImageTable.open(spark, layout.images());
        SignalSpec.requireLogitsFit(sl, table.numClasses());
        Teachers.Context context = new Teachers.Context(files, table.spec(), config.preprocess().teacherNormalization(), table.numClasses(),
                sl.featureTaps(), sl,
                () -> TableImages.collect(table.rows(), table.spec(), ImageTable.TEST, OnnxModelExport.VERIFY_IMAGES).images(),
                "test split of " + layout.images());
        TeacherSource source = TeacherSource.of(config, layout);
        PreparedTeacher teacher = Teachers.prepare(source, context);
        // what the teacher was fed is part of the version key: the same teacher normalised otherwise gives other logits
        InputSpec labelledAs = source.supplied() ? context.suppliedSpec() : table.spec();
        SignalSpec signals = SignalSpec.of(sl, labelledAs, table.classes(), teacher.tapShapes());
        Phases phases = new Phases(start);
        phases.end("teacher");

        StoreWriter store = StoreWriter.open(spark, layout.softLabels(), teacher.sha256(), signals.key());
        Dataset<Row> hashed = SoftLabelStore.withImageHash(table.rows())
                .select(ImageTable.ID, ImageTable.SPLIT, ImageTable.LABEL, SoftLabelStore.IMAGE_HASH, ImageTable.PIXELS);
        Dataset<Row> todo;
        Map<String, Long> todoCounts;
        if (store.hasLabelled()) {
            Dataset<Row> done = store.labelled();
            todo = hashed.join(done, SoftLabelStore.sameImage(hashed, done), "left_anti");
            todoCounts = splitCounts(todo);
        } else {
            // a new version: every image, as many as the table's provenance counts (the written batch is checked against them)
            todo = hashed;
            todoCounts = new LinkedHashMap<>();
            for (String split : List.of(ImageTable.TRAIN, ImageTable.TEST)) {
                if (table.count(split) > 0) {
                    todoCounts.put(split, table.count(split));
                }
            }
        }
        long todoRows = todoCounts.values().stream().mapToLong(Long::longValue).sum();
        long tableRows = table.count(ImageTable.TRAIN) + table.count(ImageTable.TEST);
        phases.end("plan");
        if (todoRows == 0) {
            store.makeCurrent();
        } else {
            label(spark, config, layout, table, teacher, signals, store, todo, todoCounts, start);
        }
        phases.end("label");
        StoreVersion written = SoftLabelStore.open(spark, layout.softLabels());
        double seconds = (System.nanoTime() - start) / 1e9;
        PROGRESS.line("%,d images in the table: %,d already labelled by this teacher, %,d labelled now -> %s", tableRows,
                tableRows - todoRows, todoRows, written.uri());
        phases.end("commit");
        if (todoRows > 0) {
            PROGRESS.line("%s", phases);
        }
        StoreManifest.VersionEntry v = written.entry();
        return new Result(v.rows(), v.train(), v.test(), todoRows, tableRows - todoRows, v.bytes(), v.bytesPerRow(), seconds,
                teacher.tapShapes(), teacher.sha256(), written.name(), phases.seconds());
    }

    /** Labels {@code todo} (and its augmented views) with the teacher and appends the rows to the store as one batch. */
    private static void label(SparkSession spark, KdConfig config, RunLayout layout, ImageTable.Opened table, PreparedTeacher teacher,
            SignalSpec signals, StoreWriter store, Dataset<Row> todo, Map<String, Long> todoCounts, long start) {
        KdConfig.SoftLabels sl = config.softLabels();
        TeacherBackend backend = teacher.backend(JavaSparkContext.fromSparkContext(spark.sparkContext()));
        TeacherLabeler labeler = new TeacherLabeler(backend).configure(sl).setKeepPixels(false);
        long todoRows = todoCounts.values().stream().mapToLong(Long::longValue).sum();
        Provenance provenance = Provenance.of(SoftLabelStore.KIND, SoftLabelStore.SCHEMA_VERSION, "soft-labels")
                .withEnvironment("spark", spark.version())
                .withConfig(ConfigLoader.toMap(config))
                .withInput("teacher", teacher.source())
                .withInput("teacher_sha256", teacher.firstSha256())
                .withDetail("teacher_backend", teacher.details())
                .withInput("images", layout.images())
                .withCount("rows", todoRows)
                .withCount("train", todoCounts.getOrDefault(ImageTable.TRAIN, 0L))
                .withCount("test", todoCounts.getOrDefault(ImageTable.TEST, 0L))
                .withDetail("num_classes", table.numClasses())
                .withDetail("classes", table.classes())
                .withDetail("input_spec", signals.input().toString())
                .withDetail("logits", signals.logitsEntry())
                .withDetail("features", signals.features());
        if (!signals.views().isEmpty()) {
            provenance = provenance.withDetail("views", signals.views());
        }
        if (!teacher.members().isEmpty()) {
            provenance = provenance.withInput("ensemble_key", teacher.sha256())
                    .withDetail("teachers", teacher.memberSummaries())
                    .withDetail("ensemble", teacher.mode().toString());
        }
        try {
            Dataset<Row> toLabel = sl.views() == 0 ? todo
                    : Views.expand(todo, table.spec(), sl.views(), sl.viewSeed(), sl.viewShift(), sl.viewFlip());
            long expectedRows = todoRows + (long) sl.views() * todoCounts.getOrDefault(ImageTable.TRAIN, 0L);
            Dataset<Row> labelled = labeler.transform(toLabel).select(signals.columns(backend.members()));
            Provenance written = provenance;
            // Spark packs the table's files into as few read partitions as there are cores, by bytes: with files of
            // unequal size (a train and a test split) one core labels three quarters of the images while the other
            // idles. Labelling costs the same per image, so a few partitions per core keep every core busy.
            Sessions.withSqlDefault(spark, MIN_PARTITIONS, String.valueOf(PARTITIONS_PER_CORE * spark.sparkContext().defaultParallelism()),
                    () -> store.append(labelled, written, expectedRows, start));
        } finally {
            backend.release();
        }
    }

    /** Rows per split. */
    private static Map<String, Long> splitCounts(Dataset<Row> rows) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Row r : rows.groupBy(ImageTable.SPLIT).count().collectAsList()) {
            out.put(r.getString(0), r.getLong(1));
        }
        return out;
    }

    /** Wall-clock seconds of the job's phases, each from the end of the one before. */
    private static final class Phases {
        private final Map<String, Double> seconds = new LinkedHashMap<>();
        private long last;

        Phases(long start) {
            last = start;
        }

        void end(String phase) {
            long now = System.nanoTime();
            seconds.put(phase, (now - last) / 1e9);
            last = now;
        }

        Map<String, Double> seconds() {
            return Collections.unmodifiableMap(new LinkedHashMap<>(seconds));
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("seconds per phase:");
            seconds.forEach((k, v) -> sb.append(String.format(java.util.Locale.ROOT, " %s %.1f", k, v)));
            return sb.toString();
        }
    }
}
