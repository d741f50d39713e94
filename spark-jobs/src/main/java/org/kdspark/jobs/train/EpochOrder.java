package org.kdspark.jobs.train;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.kdspark.jobs.store.ImageTable;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import scala.Tuple2;

/**
 * The minibatches of one epoch, in an order that depends on nothing but the seed, the epoch and the number of workers,
 * so a resumed run trains as an uninterrupted one. Rows are keyed by a hash of (id, seed, epoch) and each worker's
 * minibatches follow its rows in key order. {@link #local} keeps the rows on the partitions they were dealt to (one
 * per worker) and sorts inside each: no row crosses the network. {@link #global} deals every row anew by its key, a
 * shuffle of the whole training set.
 */
public final class EpochOrder {

    private EpochOrder() {
    }

    /**
     * The rows of {@code train}, already dealt to one partition per worker, as the epoch's minibatches on those
     * partitions: each partition sorted by key inside its task (an external sort, spilling past memory).
     */
    public static JavaRDD<MultiDataSet> local(Dataset<Row> train, long seed, int epoch, MinibatchBuilder builder) {
        return keyed(train, seed, epoch).sortWithinPartitions("k").toJavaRDD().mapPartitions(rows -> new java.util.Iterator<Tuple2<Long, Row>>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Tuple2<Long, Row> next() {
                return withoutKey(rows.next());
            }
        }, true).mapPartitions(builder, true);
    }

    /** The rows of {@code train} (an {@code id} column first or anywhere) dealt anew to {@code workers} partitions by key. */
    public static JavaRDD<MultiDataSet> global(Dataset<Row> train, long seed, int epoch, int workers, MinibatchBuilder builder) {
        return keyed(train, seed, epoch)
                .toJavaRDD()
                .mapToPair(EpochOrder::withoutKey)
                .repartitionAndSortWithinPartitions(new ModuloPartitioner(workers))
                .mapPartitions(builder);
    }

    /** The key {@code k} first, then every column but the id. */
    private static Dataset<Row> keyed(Dataset<Row> train, long seed, int epoch) {
        Column key = functions.xxhash64(functions.col(ImageTable.ID), functions.lit(seed), functions.lit(epoch)).as("k");
        List<Column> columns = new ArrayList<>(List.of(key));
        for (String c : train.columns()) {
            if (!c.equals(ImageTable.ID)) {
                columns.add(functions.col(c));
            }
        }
        return train.select(columns.toArray(Column[]::new));
    }

    private static Tuple2<Long, Row> withoutKey(Row r) {
        Object[] values = new Object[r.size() - 1];
        for (int i = 1; i < r.size(); i++) {
            values[i - 1] = r.get(i);
        }
        return new Tuple2<>(r.getLong(0), RowFactory.create(values));
    }

    /** Deals long keys to partitions by their value modulo the partition count: balanced and deterministic. */
    static final class ModuloPartitioner extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int partitions;

        ModuloPartitioner(int partitions) {
            this.partitions = partitions;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            return (int) Math.floorMod((Long) key, (long) partitions);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ModuloPartitioner m && m.partitions == partitions;
        }

        @Override
        public int hashCode() {
            return partitions;
        }
    }
}
