package org.kdspark.jobs.sources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.kd.provenance.Hashes;

/**
 * A class-per-subfolder directory ({@code dataset.format: folder}): {@code ROOT/CLASS/x.png}, or
 * {@code ROOT/train/CLASS/x.png} and {@code ROOT/test/CLASS/x.png}; without train/test folders the split is a stable
 * hash of the path. Files are read with Spark's {@code binaryFile} source and decoded in {@code mapPartitions}; every
 * listed file ends up as a row or a reject (a 0-byte file too, which {@code binaryFile} skips silently). The listing
 * is made on the driver: paths only, no image bytes.
 */
final class FolderSource extends ListedSource {

    FolderSource(SparkSession spark, KdConfig.Dataset dataset) {
        super(dataset, list(spark, dataset.path()));
    }

    @Override
    String nothingListed() {
        return "no class folders under " + dataset.path() + ": expected ROOT/CLASS/image.png (or ROOT/train/CLASS/... and"
                + " ROOT/test/CLASS/...)";
    }

    @Override
    Dataset<Row> contents(SparkSession spark) {
        return spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(dataset.path())
                .select(functions.col("path"), functions.col("content"));
    }

    private static ListedImages list(SparkSession spark, String rootUri) {
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
                if (f[1] != null && ListedImages.isImage(f[0])) {
                    classes.add(f[1]);
                }
            }
            List<String> classList = List.copyOf(classes);
            List<Row> rows = new ArrayList<>();
            for (String[] f : files) {
                int idx = f[1] == null ? -1 : classList.indexOf(f[1]);
                rows.add(RowFactory.create(f[0], idx, f[2]));
            }
            Collections.sort(stats);
            return new ListedImages(qualifiedRoot, classList, rows, Hashes.ofText(String.join("\n", stats)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + rootUri, e);
        }
    }
}
