package org.kdspark.jobs.sources;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.KdConfig;

/** A source whose files are listed on the driver (paths only, no image bytes) and read and decoded in tasks. */
abstract class ListedSource implements ImageSource {

    final KdConfig.Dataset dataset;
    private final ListedImages listing;

    ListedSource(KdConfig.Dataset dataset, ListedImages listing) {
        this.dataset = dataset;
        this.listing = listing;
    }

    @Override
    public final String fingerprint() {
        return listing.fingerprint();
    }

    @Override
    public final Images read(SparkSession spark) {
        if (listing.classes().isEmpty()) {
            throw new DatasetMissingException(nothingListed());
        }
        return listing.decode(spark, dataset, contents(spark));
    }

    /** What to say when the listing holds no labelled image. */
    abstract String nothingListed();

    /** (path, content) of every listed file, or null when each task reads its own files. */
    abstract Dataset<Row> contents(SparkSession spark);
}
