package org.kdspark.jobs.sources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.kd.provenance.Hashes;

/**
 * A class-per-subfolder directory ({@code dataset.format: folder}): {@code ROOT/CLASS/x.png}, or
 * {@code ROOT/train/CLASS/x.png} and {@code ROOT/test/CLASS/x.png} (or {@code val/}, {@code validation/}: the ImageNet
 * layout); without train/test folders the split is a stable hash of the path. Files are read with Spark's
 * {@code binaryFile} source, a thousand to a task, and decoded where they are read; every file ends up as a row or a
 * reject (a 0-byte file too, which {@code binaryFile} skips silently). The listing, for the classes and the
 * fingerprint, is made on the driver: paths, sizes and times, no image bytes.
 */
final class FolderSource extends ListedSource {

    static final int FILES_PER_TASK = 1000;

    private final ListedImages listing;
    private final boolean splitLayout;
    /** The listed 0-byte files as {@link ListedImages#WITH_CONTENT} rows without content: binaryFile never reads them. */
    private final List<Row> zeroLength;

    FolderSource(SparkSession spark, KdConfig.Dataset dataset) {
        this(dataset, Listing.of(spark, dataset.path()));
    }

    private FolderSource(KdConfig.Dataset dataset, Listing listing) {
        super(dataset, listing.images());
        this.listing = listing.images();
        this.splitLayout = listing.splitLayout();
        this.zeroLength = listing.zeroLength();
    }

    @Override
    String nothingListed() {
        return "no class folders under " + dataset.path() + ": expected ROOT/CLASS/image.png (or ROOT/train/CLASS/... and"
                + " ROOT/val/CLASS/...)";
    }

    /**
     * Each file's class and split come from its path inside the task that reads it, so the files' bytes are read once
     * and never shuffled. {@code binaryFile} skips 0-byte files; the listing adds them, to be rejected.
     */
    @Override
    Dataset<Row> contents(SparkSession spark) {
        Map<String, Integer> classIndex = indexOf(listing.classes());
        // locals, so that the tasks' function does not capture this source
        String root = listing.root();
        boolean splitLayout = this.splitLayout;
        Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(dataset.path())
                .select(functions.col("path"), functions.col("content"));
        // binaryFile packs a few dozen small files per task; a thousand per task keeps the tasks' overhead small
        int tasks = Math.max(dataset.partitions(), (int) Math.ceil(listing.rows().size() / (double) FILES_PER_TASK));
        Dataset<Row> read = files.coalesce(tasks).mapPartitions((MapPartitionsFunction<Row, Row>) rows -> placed(rows, root, splitLayout,
                classIndex), Encoders.row(ListedImages.WITH_CONTENT));
        return read.union(spark.createDataFrame(zeroLength, ListedImages.WITH_CONTENT));
    }

    /** (path, class_index, split, content, no read error) of binaryFile's (path, content) rows. */
    private static Iterator<Row> placed(Iterator<Row> rows, String root, boolean splitLayout, Map<String, Integer> classIndex) {
        return ListedImages.mapped(rows, r -> {
            String path = r.getString(0);
            String[] place = place(relative(root, path), splitLayout);
            int label = place[0] == null ? -1 : classIndex.getOrDefault(place[0], -1);
            return RowFactory.create(path, label, place[1], r.get(1), null);
        });
    }

    /** The path of a file below the root, without the root. */
    static String relative(String root, String path) {
        return (path.startsWith(root) ? path.substring(root.length()) : path).replaceFirst("^/+", "");
    }

    /** (class folder or null, split or null) of a file from its path below the root. */
    static String[] place(String relative, boolean splitLayout) {
        String[] parts = relative.split("/");
        String split = parts.length >= 3 && splitLayout ? ImageSource.splitNamed(parts[0]) : null;
        String cls = parts.length >= 2 ? parts[parts.length - 2] : null; // a file directly under the root has no class
        return new String[] {cls, split};
    }

    /** Class name -> index, in the order of {@code classes}. */
    private static Map<String, Integer> indexOf(List<String> classes) {
        Map<String, Integer> index = new HashMap<>();
        for (String c : classes) {
            index.put(c, index.size());
        }
        return index;
    }

    /** The listing made on the driver: the files, the classes, the files binaryFile will not read. */
    private record Listing(ListedImages images, boolean splitLayout, List<Row> zeroLength) {

        static Listing of(SparkSession spark, String rootUri) {
            try {
                Path root = new Path(rootUri);
                FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
                if (!fs.exists(root)) {
                    throw new DatasetMissingException("image folder " + rootUri + " does not exist; set dataset.path");
                }
                String qualifiedRoot = fs.makeQualified(root).toString();
                Path trainDir = new Path(root, ImageTable.TRAIN);
                boolean splitLayout = fs.exists(trainDir) && fs.getFileStatus(trainDir).isDirectory();
                List<String[]> files = new ArrayList<>();
                List<String> stats = new ArrayList<>();
                List<Long> sizes = new ArrayList<>();
                RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
                while (it.hasNext()) {
                    LocatedFileStatus status = it.next();
                    String name = status.getPath().getName();
                    if (name.startsWith(".") || name.startsWith("_")) {
                        continue; // hidden, as Spark's own readers treat them
                    }
                    String path = status.getPath().toString();
                    String[] place = place(relative(qualifiedRoot, path), splitLayout);
                    files.add(new String[] {path, place[0], place[1]});
                    stats.add(path + "\t" + status.getLen() + "\t" + status.getModificationTime());
                    sizes.add(status.getLen());
                }
                TreeSet<String> classes = new TreeSet<>();
                for (String[] f : files) {
                    if (f[1] != null && ListedImages.isImage(f[0])) {
                        classes.add(f[1]);
                    }
                }
                List<String> classList = List.copyOf(classes);
                Map<String, Integer> index = indexOf(classList);
                List<Row> rows = new ArrayList<>();
                List<Row> zeroLength = new ArrayList<>();
                for (int i = 0; i < files.size(); i++) {
                    String[] f = files.get(i);
                    int label = f[1] == null ? -1 : index.getOrDefault(f[1], -1);
                    rows.add(RowFactory.create(f[0], label, f[2]));
                    if (sizes.get(i) == 0) {
                        zeroLength.add(RowFactory.create(f[0], label, f[2], null, null));
                    }
                }
                Collections.sort(stats);
                return new Listing(new ListedImages(qualifiedRoot, classList, rows, Hashes.ofText(String.join("\n", stats))), splitLayout,
                        zeroLength);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + rootUri, e);
            }
        }
    }
}
