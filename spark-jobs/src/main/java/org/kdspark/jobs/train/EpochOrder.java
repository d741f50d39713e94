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
 * The minibatches of one epoch, in an order that depends on nothing but the seed and the epoch: rows are keyed by a hash
 * of (id, seed, epoch), dealt to the workers' partitions by key and sorted by key inside each. Every run with the same
 * seed sees the same minibatches, so a resumed run trains as an uninterrupted one.
 */
public final class EpochOrder {

    private EpochOrder() {
    }

    /** The rows of {@code train} (an {@code id} column first or anywhere) as the epoch's minibatches, on {@code workers} partitions. */
    public static JavaRDD<MultiDataSet> minibatches(Dataset<Row> train, long seed, int epoch, int workers, MinibatchBuilder builder) {
        Column key = functions.xxhash64(functions.col(ImageTable.ID), functions.lit(seed), functions.lit(epoch)).as("k");
        List<Column> columns = new ArrayList<>(List.of(key));
        for (String c : train.columns()) {
            if (!c.equals(ImageTable.ID)) {
                columns.add(functions.col(c));
            }
        }
        return train.select(columns.toArray(Column[]::new))
                .toJavaRDD()
                .mapToPair(r -> {
                    Object[] values = new Object[r.size() - 1];
                    for (int i = 1; i < r.size(); i++) {
                        values[i - 1] = r.get(i);
                    }
                    return new Tuple2<>(r.getLong(0), (Row) RowFactory.create(values));
                })
                .repartitionAndSortWithinPartitions(new ModuloPartitioner(workers))
                .mapPartitions(builder);
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
