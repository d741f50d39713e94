package org.kdspark.jobs.store;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.kdspark.kd.provenance.Provenance;

/**
 * One version of the {@link SoftLabelStore}: the rows one teacher (with one signal spec) labelled, over one or more
 * committed batches.
 *
 * @param root       the store's root
 * @param name       the version's directory under the root, {@code teacher=SHA12_KEY8}
 * @param entry      its manifest entry (batches and counts)
 * @param provenance the newest batch's provenance (teacher, signals, classes, input spec) with the version's
 *                   total counts
 */
public record StoreVersion(String root, String name, StoreManifest.VersionEntry entry, Provenance provenance) {

    public String uri() {
        return root + "/" + name;
    }

    public List<String> batchUris() {
        return entry.batches().stream().map(b -> uri() + "/" + b.name()).toList();
    }

    public String teacherSha256() {
        return entry.teacherSha256();
    }

    public int numClasses() {
        return SoftLabelStore.numClasses(provenance);
    }

    public Map<String, SoftLabelStore.Signal> signals() {
        return SoftLabelStore.signals(provenance);
    }

    /** Every row of the version's committed batches (the batch directories are read as plain datasets). */
    public Dataset<Row> read(SparkSession spark) {
        return spark.read().parquet(batchUris().toArray(String[]::new));
    }

    /**
     * The rows labelling the images of {@code images} (an image table) as they are now: same id and same pixels (the
     * {@link SoftLabelStore#IMAGE_HASH} of an image whose file changed no longer matches). At most one row per image:
     * in a store with augmented views, the image's own (view 0).
     */
    public Dataset<Row> labelsFor(SparkSession spark, Dataset<Row> images) {
        Dataset<Row> all = labelsWithViews(spark, images);
        return views() > 0 ? all.filter(org.apache.spark.sql.functions.col(SoftLabelStore.VIEW).equalTo(0)) : all;
    }

    /** As {@link #labelsFor}, with every augmented view of each image ({@link #views()} + 1 rows per training image). */
    public Dataset<Row> labelsWithViews(SparkSession spark, Dataset<Row> images) {
        Dataset<Row> labels = read(spark);
        Dataset<Row> current = SoftLabelStore.withImageHash(images).select(SoftLabelStore.ID, SoftLabelStore.IMAGE_HASH);
        return labels.join(current, SoftLabelStore.sameImage(labels, current), "left_semi");
    }

    /** Augmented views per training image besides the image itself (0: a store without views). */
    public int views() {
        Object v = provenance.details().get("views");
        return v instanceof Map<?, ?> m ? ((Number) m.get("count")).intValue() : 0;
    }
}
