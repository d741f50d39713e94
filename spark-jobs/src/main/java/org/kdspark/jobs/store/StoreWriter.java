package org.kdspark.jobs.store;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.mapreduce.lib.output.FileOutputCommitter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.progress.Progress;
import org.kdspark.kd.provenance.Provenance;

/**
 * Appends to one version of the {@link SoftLabelStore}: each {@link #append} writes a batch directory with Spark and
 * only then lists it in the manifest, so readers never see a batch that is not complete. One writer per store at a
 * time.
 */
public final class StoreWriter {

    private static final Progress PROGRESS = Progress.of("soft-labels");

    static final String VERSION_PREFIX = "teacher=";
    static final String BATCH_PREFIX = "batch=";
    /** The store's columns with few distinct values, kept dictionary-encoded; the others are written plain. */
    static final Set<String> DICTIONARY_COLUMNS = Stream.concat(Stream.of(SoftLabelStore.SPLIT, SoftLabelStore.LABEL),
            SoftLabelStore.VIEW_COLUMNS.stream()).collect(Collectors.toUnmodifiableSet());

    private final SparkSession spark;
    private final HadoopFiles files;
    private final String root;
    private final String version;
    private final String teacherSha256;
    private final String signalsKey;
    private StoreManifest manifest;

    private StoreWriter(SparkSession spark, String root, String teacherSha256, String signalsKey) {
        this.spark = spark;
        this.files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        this.root = root;
        this.teacherSha256 = teacherSha256;
        this.signalsKey = signalsKey;
        this.version = versionName(teacherSha256, signalsKey);
        this.manifest = prepare();
    }

    /**
     * Opens the store at {@code root} for the version of this teacher and signal spec. A store in the unversioned
     * layout of schema version 1 is removed (it is derived data, and this run rewrites it); directories of the
     * version that the manifest does not list are leftovers of an interrupted run and are removed.
     */
    public static StoreWriter open(SparkSession spark, String root, String teacherSha256, String signalsKey) {
        return new StoreWriter(spark, root, teacherSha256, signalsKey);
    }

    /** The version directory for a teacher and a signal spec: {@code teacher=SHA12_KEY8}. */
    public static String versionName(String teacherSha256, String signalsKey) {
        return VERSION_PREFIX + teacherSha256.substring(0, 12) + "_" + signalsKey.substring(0, 8);
    }

    public String version() {
        return version;
    }

    /** The (id, image_hash) of every image the version has labelled; empty when the version is new. */
    /** Whether the version has committed rows (false: a new version, whose {@link #labelled} is empty). */
    public boolean hasLabelled() {
        return manifest.versions().containsKey(version);
    }

    public Dataset<Row> labelled() {
        if (!manifest.versions().containsKey(version)) {
            return spark.createDataFrame(List.of(), SoftLabelStore.schema(List.of())).select(SoftLabelStore.ID, SoftLabelStore.IMAGE_HASH);
        }
        return SoftLabelStore.version(spark, root, manifest, version).read(spark).select(SoftLabelStore.ID, SoftLabelStore.IMAGE_HASH);
    }

    /**
     * Writes {@code rows} as the version's next batch, checks that it holds {@code expectedRows} rows, and commits it
     * (the version becomes current). The batch's provenance gains the batch name, its bytes and the seconds since
     * {@code startNanos}.
     */
    public StoreManifest.Batch append(Dataset<Row> rows, Provenance provenance, long expectedRows, long startNanos) {
        String batch = nextBatch();
        String uri = root + "/" + version + "/" + batch;
        Provenance p = provenance.withDetail("version", version).withDetail("batch", batch).withDetail("signals_key", signalsKey);
        Map<String, String> options = new LinkedHashMap<>(ParquetArtifacts.plainEncoded(rows.schema(), DICTIONARY_COLUMNS));
        // each task's files go straight to the batch directory when it commits (one rename, not two): a batch is
        // complete when its sidecar and the manifest say so, not when Spark's job commit has moved every file, and
        // the footer count below refuses a batch holding a partition twice (a task committed, then retried)
        options.put(FileOutputCommitter.FILEOUTPUTCOMMITTER_ALGORITHM_VERSION, "2");
        ParquetArtifacts.writeData(rows, uri, p, options);
        long written = ParquetArtifacts.rows(spark.sparkContext().hadoopConfiguration(), uri);
        if (written != expectedRows) {
            throw new IllegalStateException("batch " + uri + " has " + written + " rows where " + expectedRows + " were labelled");
        }
        long bytes = ParquetArtifacts.bytes(spark, uri);
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        ParquetArtifacts.writeSidecar(spark, uri, p.withDetail("seconds", seconds).withDetail("bytes", bytes));
        StoreManifest.Batch entry = new StoreManifest.Batch(batch, written, p.counts().getOrDefault("train", 0L),
                p.counts().getOrDefault("test", 0L), bytes, seconds, StoreManifest.now());
        manifest = manifest.withBatch(version, teacherSha256, signalsKey, entry);
        manifest.write(files, root);
        return entry;
    }

    /** Makes the (existing) version current without writing a batch: a run that found nothing new to label. */
    public void makeCurrent() {
        manifest = manifest.withCurrent(version);
        manifest.write(files, root);
    }

    private StoreManifest prepare() {
        StoreManifest m = StoreManifest.read(files, root);
        if (m == null) {
            if (files.exists(root + "/" + ParquetArtifacts.SIDECAR)) {
                PROGRESS.line("replacing the unversioned (schema version 1) store at %s", root);
            }
            if (files.exists(root)) {
                files.delete(root);
            }
            return StoreManifest.empty();
        }
        StoreManifest.VersionEntry entry = m.versions().get(version);
        Set<String> committed = entry == null ? Set.of() : entry.batches().stream().map(StoreManifest.Batch::name).collect(Collectors.toSet());
        for (String dir : files.directories(root + "/" + version)) {
            if (!committed.contains(dir)) {
                PROGRESS.line("removing %s/%s/%s, left uncommitted by an interrupted run", root, version, dir);
                files.delete(root + "/" + version + "/" + dir);
            }
        }
        return m;
    }

    private String nextBatch() {
        int last = files.directories(root + "/" + version).stream()
                .filter(d -> d.startsWith(BATCH_PREFIX))
                .mapToInt(d -> Integer.parseInt(d.substring(BATCH_PREFIX.length())))
                .max().orElse(0);
        return String.format("%s%05d", BATCH_PREFIX, last + 1);
    }
}
