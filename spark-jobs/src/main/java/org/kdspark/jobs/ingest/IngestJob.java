package org.kdspark.jobs.ingest;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.sources.DatasetMissingException;
import org.kdspark.jobs.sources.ImageSource;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.Normalization;
import org.kdspark.kd.progress.Progress;
import org.kdspark.kd.provenance.Hashes;
import org.kdspark.kd.provenance.Provenance;

/**
 * Turns a raw image set into the Parquet {@link ImageTable}: the {@link ImageSource} that {@code dataset.format} names
 * reads and decodes the images in parallel, and this job writes the usable ones as the table and the others, each with
 * its reason, as {@code OUTPUT/images-rejects}. Nothing is lost silently: every listed file ends up in one of the two,
 * and the result reconciles the counts. A table ingested from the same dataset config and the same input listing is
 * reused.
 */
public final class IngestJob {

    /** What an ingest produced; {@code filesSeen == train + test + rejected} always holds. */
    public record Result(long train, long test, long rejected, long filesSeen, List<String> classes, double seconds, boolean reused) {
    }

    private static final Progress PROGRESS = Progress.of("ingest");

    private IngestJob() {
    }

    public static Result run(SparkSession spark, KdConfig config, RunLayout layout) {
        long start = System.nanoTime();
        KdConfig.Dataset dataset = config.dataset();
        ImageSource source = ImageSource.of(spark, dataset);
        // a folder that gained, lost or changed files is ingested again, even with the same config (a manifest: one that changed)
        String fingerprint = source.fingerprint();
        // the table declares the input of the run's networks: a new normalisation is a new table (the pixels are the same)
        Normalization normalization = config.preprocess().normalization();
        Map<String, Object> identity = new java.util.LinkedHashMap<>();
        identity.put("dataset", ConfigLoader.sectionMap(config, "dataset"));
        if (!normalization.isUnit()) {
            identity.put("normalization", normalization.toString());
        }
        String datasetHash = Hashes.ofValue(identity) + (fingerprint.isEmpty() ? "" : "-" + fingerprint);
        Result existing = reusable(spark, layout, datasetHash);
        if (existing != null) {
            PROGRESS.line("reusing %s (same dataset config)", layout.images());
            return existing;
        }
        Provenance provenance = Provenance.of(ImageTable.KIND, ImageTable.SCHEMA_VERSION, "ingest")
                .withEnvironment("spark", spark.version())
                .withConfig(ConfigLoader.toMap(config))
                .withInput("dataset", dataset.path())
                .withDetail("dataset_hash", datasetHash);
        ImageSource.Images read = source.read(spark);
        InputSpec spec = read.spec().withNormalization(normalization);
        Result result = read.counted() ? writeCounted(layout, provenance, read, spec, start)
                : writeWithRejects(layout, provenance, read, spec, start);
        if (result.filesSeen() != result.train() + result.test() + result.rejected()) {
            throw new IllegalStateException("ingest counts do not reconcile: " + result);
        }
        return result;
    }

    /** A source that knows its counts and has no rejects: the table is written in one pass. */
    private static Result writeCounted(RunLayout layout, Provenance provenance, ImageSource.Images read, InputSpec spec, long start) {
        ParquetArtifacts.write(read.decoded().drop(ImageSource.REJECT_REASON), layout.images(), provenance
                .withCount("train", read.train())
                .withCount("test", read.test())
                .withCount("rejected", 0)
                .withDetail("classes", read.classes())
                .withDetail("input_spec", spec.toString()));
        return new Result(read.train(), read.test(), 0, read.filesSeen(), read.classes(), seconds(start), false);
    }

    /** Splits the decoded rows into the table and the rejects, counting each. */
    private static Result writeWithRejects(RunLayout layout, Provenance provenance, ImageSource.Images read, InputSpec spec,
            long start) {
        Dataset<Row> decoded = read.decoded().persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Dataset<Row> images = decoded.filter(functions.col(ImageSource.REJECT_REASON).isNull()).drop(ImageSource.REJECT_REASON);
            Dataset<Row> rejects = decoded.filter(functions.col(ImageSource.REJECT_REASON).isNotNull())
                    .select(functions.col(ImageTable.SOURCE).as("source"), functions.col(ImageSource.REJECT_REASON).as("reason"),
                            functions.col(ImageTable.SPLIT));
            long train = images.filter(functions.col(ImageTable.SPLIT).equalTo(ImageTable.TRAIN)).count();
            long test = images.filter(functions.col(ImageTable.SPLIT).equalTo(ImageTable.TEST)).count();
            long rejected = rejects.count();
            long seen = read.filesSeen() >= 0 ? read.filesSeen() : decoded.count();
            List<String> classes = read.classes() != null ? read.classes() : numbered(images);
            ParquetArtifacts.write(images, layout.images(), provenance
                    .withCount("files_seen", seen)
                    .withCount("train", train)
                    .withCount("test", test)
                    .withCount("rejected", rejected)
                    .withDetail("classes", classes)
                    .withDetail("input_spec", spec.toString()));
            ParquetArtifacts.write(rejects.coalesce(1), layout.imageRejects(),
                    Provenance.of("image-rejects", ImageTable.SCHEMA_VERSION, "ingest").withCount("rejected", rejected));
            return new Result(train, test, rejected, seen, classes, seconds(start), false);
        } finally {
            decoded.unpersist();
        }
    }

    /** Class names "0" .. "n-1" for the labels of {@code images}, n one more than the largest. */
    private static List<String> numbered(Dataset<Row> images) {
        Row max = images.agg(functions.max(ImageTable.LABEL)).first();
        if (max.isNullAt(0)) {
            throw new DatasetMissingException("no usable image: every file was rejected (see the rejects' reasons)");
        }
        return java.util.stream.IntStream.rangeClosed(0, max.getInt(0)).mapToObj(Integer::toString).toList();
    }

    /** The existing image table when it was ingested with the same dataset config, else null. */
    private static Result reusable(SparkSession spark, RunLayout layout, String datasetHash) {
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        if (!files.exists(layout.images() + "/" + ParquetArtifacts.SIDECAR)) {
            return null;
        }
        Provenance p = ParquetArtifacts.provenance(spark, layout.images(), ImageTable.KIND, ImageTable.SCHEMA_VERSION);
        if (!datasetHash.equals(p.details().get("dataset_hash"))) {
            return null;
        }
        Map<String, Long> c = p.counts();
        long train = c.getOrDefault("train", 0L);
        long test = c.getOrDefault("test", 0L);
        long rejected = c.getOrDefault("rejected", 0L);
        @SuppressWarnings("unchecked")
        List<String> classes = (List<String>) p.details().get("classes");
        return new Result(train, test, rejected, train + test + rejected, classes, 0, true);
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
