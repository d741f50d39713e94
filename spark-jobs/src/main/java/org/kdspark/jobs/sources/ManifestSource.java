package org.kdspark.jobs.sources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.provenance.Hashes;

/**
 * A manifest of images ({@code dataset.format: manifest}): a CSV file with a header, or a Parquet file or directory,
 * with the columns {@code path} (absolute URI, or relative to the manifest's directory), {@code label} (a class name;
 * classes sort numerically when every label is an integer) and optionally {@code split} ({@code train}, {@code test},
 * or empty for the stable hash split). A malformed manifest fails before any work, naming the row; each task reads
 * its own files, and a listed file that is missing, unreadable or undecodable is rejected with the reason.
 */
final class ManifestSource extends ListedSource {

    ManifestSource(SparkSession spark, KdConfig.Dataset dataset) {
        super(dataset, list(spark, dataset.path()));
    }

    @Override
    String nothingListed() {
        return "the manifest " + dataset.path() + " lists no labelled image: expected columns path,label[,split]";
    }

    /** None: the manifest's files may be anywhere, so each task reads its own. */
    @Override
    Dataset<Row> contents(SparkSession spark) {
        return null;
    }

    private static ListedImages list(SparkSession spark, String manifestUri) {
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
                throw new UserInputException("the manifest " + manifestUri + " has the columns " + new TreeSet<>(columns)
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
                    throw new UserInputException(where + " has no path: give every row a file path or URI");
                }
                String split = e.isNullAt(2) || e.getString(2).isBlank() ? null : e.getString(2).trim();
                if (split != null && !split.equals(ImageTable.TRAIN) && !split.equals(ImageTable.TEST)) {
                    throw new UserInputException(where + " has split '" + split + "': use train, test or leave it empty");
                }
                String p = e.getString(0).trim();
                Path file = new Path(p).toUri().getScheme() != null || p.startsWith("/") ? new Path(p) : new Path(base, p);
                String label = e.isNullAt(1) || e.getString(1).isBlank() ? null : e.getString(1).trim();
                listed.add(new String[] {file.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(file).toString(), label,
                        split});
            }
            List<String> classes = listed.stream().map(f -> f[1]).filter(Objects::nonNull).distinct().toList();
            boolean numeric = classes.stream().allMatch(c -> c.matches("-?\\d{1,9}"));
            List<String> classList = classes.stream()
                    .sorted(numeric ? Comparator.comparingInt(Integer::parseInt) : Comparator.naturalOrder())
                    .toList();
            List<Row> rows = new ArrayList<>();
            List<String> lines = new ArrayList<>();
            for (String[] f : listed) {
                rows.add(RowFactory.create(f[0], f[1] == null ? -1 : classList.indexOf(f[1]), f[2]));
                lines.add(f[0] + "\t" + f[1] + "\t" + f[2]);
            }
            Collections.sort(lines);
            return new ListedImages(base.toString(), classList, rows, Hashes.ofText(String.join("\n", lines)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifest " + manifestUri, e);
        }
    }
}
