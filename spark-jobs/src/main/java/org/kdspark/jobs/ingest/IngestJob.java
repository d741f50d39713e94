package org.kdspark.jobs.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import org.kdspark.jobs.config.ConfigHash;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.pipeline.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.kd.data.IdxReader;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.provenance.Provenance;

/**
 * Turns a raw image set into the Parquet {@link ImageTable}.
 *
 * <p>Two inputs: MNIST-style IDX files (Fashion-MNIST from the Debian package {@code dataset-fashion-mnist})
 * and a directory of images in the class-per-subfolder layout ({@code ROOT/CLASS/x.png}, or
 * {@code ROOT/train/CLASS/x.png} and {@code ROOT/test/CLASS/x.png}). Folder images are read with Spark's
 * {@code binaryFile} source and decoded in {@code mapPartitions}. Nothing is lost silently: every listed file
 * ends up either as a row of the table or in the rejects table with the reason, and the result reconciles
 * the counts.
 */
public final class IngestJob {

    public static final String[] IDX_FILES = {
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    private static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp");

    /** What an ingest produced; {@code filesSeen == train + test + rejected} always holds. */
    public record Result(long train, long test, long rejected, long filesSeen, List<String> classes, double seconds, boolean reused) {
        Result(long train, long test, long rejected, long filesSeen, List<String> classes, double seconds) {
            this(train, test, rejected, filesSeen, classes, seconds, false);
        }
    }

    private IngestJob() {
    }

    public static Result run(SparkSession spark, KdConfig config, RunLayout layout) {
        long start = System.nanoTime();
        KdConfig.Dataset dataset = config.dataset;
        // a folder that gained, lost or changed files is ingested again, even with the same config
        // (a manifest: one that changed)
        ImageListing listing = switch (dataset.format) {
            case "folder" -> ImageListing.ofFolder(spark, dataset.path);
            case "manifest" -> ImageListing.ofManifest(spark, dataset.path);
            default -> null;
        };
        String datasetHash = ConfigHash.of(config, "dataset") + (listing != null ? "-" + listing.fingerprint() : "");
        Result existing = reusable(spark, layout, datasetHash);
        if (existing != null) {
            System.out.println("ingest: reusing " + layout.images() + " (same dataset config)");
            return existing;
        }
        Provenance provenance = Provenance.of(ImageTable.KIND, ImageTable.SCHEMA_VERSION, "ingest")
                .withEnvironment("spark", spark.version())
                .withConfig(ConfigLoader.toMap(config))
                .withInput("dataset", dataset.path)
                .withDetail("dataset_hash", datasetHash);
        Result result = switch (dataset.format) {
            case "idx" -> ingestIdx(spark, dataset, layout, provenance, start);
            case "folder" -> ingestListed(spark, dataset, layout, provenance, start, listing, folderContents(spark, dataset.path));
            case "manifest" -> ingestListed(spark, dataset, layout, provenance, start, listing, null);
            default -> throw new IllegalArgumentException("dataset.format " + dataset.format);
        };
        if (result.filesSeen() != result.train() + result.test() + result.rejected()) {
            throw new IllegalStateException("ingest counts do not reconcile: " + result);
        }
        return result;
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

    private static Result ingestIdx(SparkSession spark, KdConfig.Dataset dataset, RunLayout layout, Provenance provenance, long start) {
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        List<String> missing = new ArrayList<>();
        for (String name : IDX_FILES) {
            if (!files.exists(dataset.path + "/" + name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new DatasetMissingException("dataset '" + dataset.name + "' not found: " + dataset.path + " lacks " + missing
                    + ". For Fashion-MNIST install the Debian package (sudo apt-get install dataset-fashion-mnist, which puts it in"
                    + " /usr/share/datasets/fashion-mnist), or set dataset.path to a directory holding the four IDX .gz files.");
        }
        int train = Math.min(count(files, dataset.path, IDX_FILES[0]), limitOrAll(dataset.trainLimit));
        int test = Math.min(count(files, dataset.path, IDX_FILES[2]), limitOrAll(dataset.testLimit));
        List<IdxSlice> slices = new ArrayList<>();
        slices.addAll(IdxSlice.split(dataset.name, ImageTable.TRAIN, dataset.path, "train", train, dataset.partitions));
        slices.addAll(IdxSlice.split(dataset.name, ImageTable.TEST, dataset.path, "t10k", test, dataset.partitions));
        // each task reads its own slice of the (gzipped) files: no image data passes through the driver
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<SerializableConfiguration> hadoop = jsc.broadcast(new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
        Dataset<Row> table = spark.createDataFrame(jsc.parallelize(slices, slices.size()).flatMap(s -> s.read(hadoop.value().value())),
                ImageTable.SCHEMA);
        int numClasses = numClasses(files, dataset.path, train);
        List<String> classes = FashionMnistClasses.forDataset(dataset.name, numClasses);
        ParquetArtifacts.write(table, layout.images(), provenance
                .withCount("train", train)
                .withCount("test", test)
                .withCount("rejected", 0)
                .withDetail("classes", classes)
                .withDetail("input_spec", InputSpec.FASHION_MNIST.toString()));
        hadoop.destroy();
        return new Result(train, test, 0, train + test, classes, seconds(start));
    }

    private static int limitOrAll(int limit) {
        return limit > 0 ? limit : Integer.MAX_VALUE;
    }

    private static int count(HadoopFiles files, String dir, String name) {
        try (InputStream in = files.open(dir + "/" + name)) {
            return IdxReader.count(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir + "/" + name, e);
        }
    }

    /** The class count: one more than the largest label of the training labels file. */
    private static int numClasses(HadoopFiles files, String dir, int limit) {
        try (InputStream in = files.open(dir + "/" + IDX_FILES[1])) {
            int max = 0;
            for (int label : IdxReader.labels(in, limit)) {
                max = Math.max(max, label);
            }
            return max + 1;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir + "/" + IDX_FILES[1] + ": " + e.getMessage(), e);
        }
    }

    /** A contiguous range of one split's IDX records, read by one task. */
    record IdxSlice(String dataset, String split, String dir, String prefix, int first, int count) implements java.io.Serializable {

        static List<IdxSlice> split(String dataset, String split, String dir, String prefix, int total, int parts) {
            List<IdxSlice> out = new ArrayList<>();
            int size = (total + parts - 1) / parts;
            for (int first = 0; first < total; first += size) {
                out.add(new IdxSlice(dataset, split, dir, prefix, first, Math.min(size, total - first)));
            }
            return out;
        }

        Iterator<Row> read(org.apache.hadoop.conf.Configuration conf) throws IOException {
            HadoopFiles files = new HadoopFiles(conf);
            String images = dir + "/" + prefix + "-images-idx3-ubyte.gz";
            LabeledImages block;
            try (InputStream img = files.open(images); InputStream lab = files.open(dir + "/" + prefix + "-labels-idx1-ubyte.gz")) {
                block = IdxReader.read(img, lab, first, count);
            }
            InputSpec spec = block.spec();
            List<Row> rows = new ArrayList<>(block.count());
            for (int i = 0; i < block.count(); i++) {
                int index = first + i;
                rows.add(RowFactory.create(String.format(Locale.ROOT, "%s/%s/%05d", dataset, split, index), split, block.labels()[i],
                        spec.channels(), spec.height(), spec.width(), block.image(i), images + "#" + index));
            }
            return rows.iterator();
        }
    }

    /** Every file under a folder with its bytes (Spark's binaryFile source), by path. */
    private static Dataset<Row> folderContents(SparkSession spark, String root) {
        return spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(root)
                .select(functions.col("path"), functions.col("content"));
    }

    /**
     * Decodes the listed images and writes the image table and its rejects. {@code contents} (path, content) come from
     * Spark's binaryFile source for a folder; when null (a manifest, whose files may be anywhere) each task reads its
     * own files, and a listed file that is missing or unreadable is rejected with the reason.
     */
    private static Result ingestListed(SparkSession spark, KdConfig.Dataset dataset, RunLayout layout, Provenance provenance, long start,
            ImageListing listing, Dataset<Row> contents) {
        InputSpec spec = new InputSpec(dataset.channels, dataset.height, dataset.width);
        if (listing.classes().isEmpty()) {
            throw new DatasetMissingException(listing.format().equals("manifest")
                    ? "the manifest " + dataset.path + " lists no labelled image: expected columns path,label[,split]"
                    : "no class folders under " + dataset.path + ": expected ROOT/CLASS/image.png (or ROOT/train/CLASS/... and ROOT/test/CLASS/...)");
        }
        Dataset<Row> listed = spark.createDataFrame(listing.rows(), ImageListing.SCHEMA);
        Dataset<Row> joined;
        if (contents != null) {
            // the listing is the truth: binaryFile silently skips 0-byte files, which must be rejected, not lost
            joined = listed.join(contents, listed.col("path").equalTo(contents.col("path")), "left")
                    .select(listed.col("path"), listed.col("class_index"), listed.col("split"), contents.col("content"), functions.lit(null).cast("string").as("read_error"));
        } else {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            Broadcast<SerializableConfiguration> hadoop = jsc.broadcast(new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
            joined = listed.repartition(dataset.partitions).mapPartitions(
                    (MapPartitionsFunction<Row, Row>) rows -> readAll(rows, hadoop.value().value()), Encoders.row(WITH_CONTENT));
        }
        StructType decodedSchema = ImageTable.SCHEMA.add("reject_reason", org.apache.spark.sql.types.DataTypes.StringType, true);
        String root = listing.root();
        double testFraction = dataset.testFraction;
        Dataset<Row> decoded = joined.repartition(dataset.partitions).mapPartitions(
                (MapPartitionsFunction<Row, Row>) rows -> decodeAll(rows, spec, root, testFraction), Encoders.row(decodedSchema))
                .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        try {
            Dataset<Row> images = decoded.filter(functions.col("reject_reason").isNull()).drop("reject_reason");
            Dataset<Row> rejects = decoded.filter(functions.col("reject_reason").isNotNull())
                    .select(functions.col(ImageTable.SOURCE).as("source"), functions.col("reject_reason").as("reason"), functions.col(ImageTable.SPLIT));
            long train = images.filter(functions.col(ImageTable.SPLIT).equalTo(ImageTable.TRAIN)).count();
            long test = images.filter(functions.col(ImageTable.SPLIT).equalTo(ImageTable.TEST)).count();
            long rejected = rejects.count();
            Provenance counted = provenance
                    .withCount("files_seen", listing.rows().size())
                    .withCount("train", train)
                    .withCount("test", test)
                    .withCount("rejected", rejected)
                    .withDetail("classes", listing.classes())
                    .withDetail("input_spec", spec.toString());
            ParquetArtifacts.write(images, layout.images(), counted);
            ParquetArtifacts.write(rejects.coalesce(1), layout.imageRejects(),
                    Provenance.of("image-rejects", ImageTable.SCHEMA_VERSION, "ingest").withCount("rejected", rejected));
            return new Result(train, test, rejected, listing.rows().size(), listing.classes(), seconds(start));
        } finally {
            decoded.unpersist();
        }
    }

    /** (path, class_index, split, content, read_error): the listing's rows with their files' bytes, or why they could not be read. */
    private static final StructType WITH_CONTENT = ImageListing.SCHEMA
            .add("content", org.apache.spark.sql.types.DataTypes.BinaryType, true)
            .add("read_error", org.apache.spark.sql.types.DataTypes.StringType, true);

    private static Iterator<Row> readAll(Iterator<Row> rows, org.apache.hadoop.conf.Configuration conf) {
        HadoopFiles files = new HadoopFiles(conf);
        List<Row> out = new ArrayList<>();
        while (rows.hasNext()) {
            Row r = rows.next();
            String path = r.getString(0);
            byte[] content = null;
            String error = null;
            try {
                content = files.readBytes(path);
            } catch (UncheckedIOException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                error = (cause instanceof java.io.FileNotFoundException ? "missing: " : "unreadable: ") + cause.getMessage();
            }
            out.add(RowFactory.create(path, r.get(1), r.get(2), content, error));
        }
        return out.iterator();
    }

    private static Iterator<Row> decodeAll(Iterator<Row> rows, InputSpec spec, String root, double testFraction) {
        List<Row> out = new ArrayList<>();
        while (rows.hasNext()) {
            Row r = rows.next();
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
                byte[] pixels = ImageDecoder.decode(content, spec);
                out.add(RowFactory.create(id, split, label, spec.channels(), spec.height(), spec.width(), pixels, path, null));
            } catch (ImageDecoder.UndecodableImageException e) {
                out.add(RowFactory.create(id, split, label, spec.channels(), spec.height(), spec.width(), new byte[0], path, e.getMessage()));
            }
        }
        return out.iterator();
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

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /** The image set is not where the config says. */
    public static final class DatasetMissingException extends RuntimeException {
        public DatasetMissingException(String message) {
            super(message);
        }
    }

    /**
     * The files to ingest, with their class index (-1: none) and, when the source says, their split: every file under a
     * class-per-subfolder root ({@link #ofFolder}) or the rows of a manifest ({@link #ofManifest}). Ids are paths
     * relative to {@code root}.
     */
    record ImageListing(String format, String root, List<String> classes, List<Row> rows, String fingerprint) {

        static final StructType SCHEMA = new StructType()
                .add("path", org.apache.spark.sql.types.DataTypes.StringType, false)
                .add("class_index", org.apache.spark.sql.types.DataTypes.IntegerType, false)
                .add("split", org.apache.spark.sql.types.DataTypes.StringType, true);

        static ImageListing ofFolder(SparkSession spark, String rootUri) {
            try {
                Path root = new Path(rootUri);
                FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
                if (!fs.exists(root)) {
                    throw new DatasetMissingException("image folder " + rootUri + " does not exist; set dataset.path");
                }
                String qualifiedRoot = fs.makeQualified(root).toString();
                boolean splitLayout = fs.exists(new Path(root, ImageTable.TRAIN)) && fs.getFileStatus(new Path(root, ImageTable.TRAIN)).isDirectory();
                List<String[]> files = new ArrayList<>();
                List<String> stats = new ArrayList<>();
                RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
                while (it.hasNext()) {
                    LocatedFileStatus status = it.next();
                    String name = status.getPath().getName();
                    if (name.startsWith(".") || name.startsWith("_")) {
                        continue; // hidden, as Spark's own readers treat them
                    }
                    String rel = status.getPath().toString().substring(qualifiedRoot.length()).replaceFirst("^/+", "");
                    String[] parts = rel.split("/");
                    String split = null;
                    String cls;
                    if (splitLayout && parts.length >= 3 && (parts[0].equals(ImageTable.TRAIN) || parts[0].equals(ImageTable.TEST))) {
                        split = parts[0];
                        cls = parts[parts.length - 2];
                    } else if (parts.length >= 2) {
                        cls = parts[parts.length - 2];
                    } else {
                        cls = null; // a file directly under the root has no class
                    }
                    files.add(new String[] {status.getPath().toString(), cls, split});
                    stats.add(status.getPath() + "\t" + status.getLen() + "\t" + status.getModificationTime());
                }
                TreeSet<String> classes = new TreeSet<>();
                for (String[] f : files) {
                    if (f[1] != null && isImage(f[0])) {
                        classes.add(f[1]);
                    }
                }
                List<String> classList = List.copyOf(classes);
                List<Row> rows = new ArrayList<>();
                for (String[] f : files) {
                    int idx = f[1] == null ? -1 : classList.indexOf(f[1]);
                    rows.add(RowFactory.create(f[0], idx, f[2]));
                }
                java.util.Collections.sort(stats);
                return new ImageListing("folder", qualifiedRoot, classList, rows, ConfigHash.ofText(String.join("\n", stats)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + rootUri, e);
            }
        }

        /**
         * The images a manifest lists: a CSV file with a header, or a Parquet file or directory, with the columns
         * {@code path} (absolute URI, or relative to the manifest's directory), {@code label} (a class name; classes
         * sort numerically when every label is an integer) and optionally {@code split} ({@code train}, {@code test}, or
         * empty for the stable hash split). A malformed manifest fails here, before any work, naming the row.
         */
        static ImageListing ofManifest(SparkSession spark, String manifestUri) {
            try {
                Path manifest = new Path(manifestUri);
                FileSystem fs = manifest.getFileSystem(spark.sparkContext().hadoopConfiguration());
                if (!fs.exists(manifest)) {
                    throw new DatasetMissingException("manifest " + manifestUri + " does not exist; set dataset.path to a CSV file (header "
                            + "path,label[,split]) or a Parquet file with those columns");
                }
                Path qualified = fs.makeQualified(manifest);
                boolean parquet = manifestUri.endsWith(".parquet") || fs.getFileStatus(manifest).isDirectory();
                Dataset<Row> table = parquet ? spark.read().parquet(manifestUri) : spark.read().option("header", "true").csv(manifestUri);
                Set<String> columns = Set.of(table.columns());
                if (!columns.contains("path") || !columns.contains("label")) {
                    throw new IllegalArgumentException("the manifest " + manifestUri + " has the columns " + new TreeSet<>(columns)
                            + "; it needs 'path' and 'label' (and optionally 'split': train or test)");
                }
                List<Row> entries = table.select(functions.col("path").cast("string"), functions.col("label").cast("string"),
                        columns.contains("split") ? functions.col("split").cast("string") : functions.lit(null).cast("string")).collectAsList();
                Path base = qualified.getParent();
                List<String[]> listed = new ArrayList<>();
                for (int i = 0; i < entries.size(); i++) {
                    Row e = entries.get(i);
                    String where = "manifest " + manifestUri + " row " + (i + 1);
                    if (e.isNullAt(0) || e.getString(0).isBlank()) {
                        throw new IllegalArgumentException(where + " has no path: give every row a file path or URI");
                    }
                    String split = e.isNullAt(2) || e.getString(2).isBlank() ? null : e.getString(2).trim();
                    if (split != null && !split.equals(ImageTable.TRAIN) && !split.equals(ImageTable.TEST)) {
                        throw new IllegalArgumentException(where + " has split '" + split + "': use train, test or leave it empty");
                    }
                    String p = e.getString(0).trim();
                    Path file = new Path(p).toUri().getScheme() != null || p.startsWith("/") ? new Path(p) : new Path(base, p);
                    String label = e.isNullAt(1) || e.getString(1).isBlank() ? null : e.getString(1).trim();
                    listed.add(new String[] {file.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(file).toString(), label, split});
                }
                List<String> classes = listed.stream().map(f -> f[1]).filter(java.util.Objects::nonNull).distinct().toList();
                boolean numeric = classes.stream().allMatch(c -> c.matches("-?\\d{1,9}"));
                List<String> classList = classes.stream()
                        .sorted(numeric ? java.util.Comparator.comparingInt(Integer::parseInt) : java.util.Comparator.naturalOrder())
                        .toList();
                List<Row> rows = new ArrayList<>();
                List<String> lines = new ArrayList<>();
                for (String[] f : listed) {
                    rows.add(RowFactory.create(f[0], f[1] == null ? -1 : classList.indexOf(f[1]), f[2]));
                    lines.add(f[0] + "\t" + f[1] + "\t" + f[2]);
                }
                java.util.Collections.sort(lines);
                return new ImageListing("manifest", base.toString(), classList, rows, ConfigHash.ofText(String.join("\n", lines)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the manifest " + manifestUri, e);
            }
        }

        private static boolean isImage(String path) {
            int dot = path.lastIndexOf('.');
            return dot > 0 && IMAGE_EXTENSIONS.contains(path.substring(dot + 1).toLowerCase(Locale.ROOT));
        }
    }
}
