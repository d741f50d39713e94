package org.kdspark.jobs.distill;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.kdspark.kd.data.InputSpec;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

/**
 * Turns a partition of training rows {@code (pixels, label, logits)} into minibatch {@link MultiDataSet}s
 * for the student: features {@code [b, C, H, W]} in [0, 1]; labels {@code [b, K]} one-hot for the
 * baseline, or {@code [b, 2K]} = {@code [one-hot | teacher logits]} for Hinton KD.
 */
public final class MinibatchBuilder implements FlatMapFunction<Iterator<Tuple2<Long, Row>>, MultiDataSet> {

    private static final long serialVersionUID = 1L;

    /** Column positions in the rows this builder reads. */
    public static final int PIXELS = 0;
    public static final int LABEL = 1;
    public static final int LOGITS = 2;

    private final InputSpec spec;
    private final int numClasses;
    private final int batchSize;
    private final boolean withTeacherLogits;

    public MinibatchBuilder(InputSpec spec, int numClasses, int batchSize, boolean withTeacherLogits) {
        this.spec = spec;
        this.numClasses = numClasses;
        this.batchSize = batchSize;
        this.withTeacherLogits = withTeacherLogits;
    }

    @Override
    public Iterator<MultiDataSet> call(Iterator<Tuple2<Long, Row>> rows) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public MultiDataSet next() {
                if (!rows.hasNext()) {
                    throw new NoSuchElementException();
                }
                return build(rows);
            }
        };
    }

    private MultiDataSet build(Iterator<Tuple2<Long, Row>> rows) {
        List<Row> batch = new ArrayList<>(batchSize);
        while (batch.size() < batchSize && rows.hasNext()) {
            batch.add(rows.next()._2());
        }
        int n = batch.size();
        int values = spec.valuesPerImage();
        int width = withTeacherLogits ? 2 * numClasses : numClasses;
        byte[] pixels = new byte[n * values];
        float[] labels = new float[n * width];
        for (int i = 0; i < n; i++) {
            Row r = batch.get(i);
            System.arraycopy((byte[]) r.get(PIXELS), 0, pixels, i * values, values);
            labels[i * width + r.getInt(LABEL)] = 1f;
            if (withTeacherLogits) {
                scala.collection.Seq<Object> logits = r.getSeq(LOGITS);
                for (int c = 0; c < numClasses; c++) {
                    labels[i * width + numClasses + c] = (Float) logits.apply(c);
                }
            }
        }
        INDArray l = Nd4j.create(labels, new long[] {n, width}, 'c');
        return new org.nd4j.linalg.dataset.MultiDataSet(spec.toInput(pixels, 0, n), l);
    }
}
