package org.kdspark.jobs.distill;

import java.util.Iterator;
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
        int values = spec.valuesPerImage();
        int width = withTeacherLogits ? 2 * numClasses : numClasses;
        float[] features = new float[batchSize * values];
        float[] labels = new float[batchSize * width];
        int n = 0;
        while (n < batchSize && rows.hasNext()) {
            Row r = rows.next()._2();
            byte[] pixels = (byte[]) r.get(PIXELS);
            for (int i = 0; i < values; i++) {
                features[n * values + i] = (pixels[i] & 0xFF) / 255f;
            }
            labels[n * width + r.getInt(LABEL)] = 1f;
            if (withTeacherLogits) {
                scala.collection.Seq<Object> logits = r.getSeq(LOGITS);
                for (int c = 0; c < numClasses; c++) {
                    labels[n * width + numClasses + c] = (Float) logits.apply(c);
                }
            }
            n++;
        }
        INDArray f = Nd4j.create(features, spec.shape(batchSize), 'c');
        INDArray l = Nd4j.create(labels, new long[] {batchSize, width}, 'c');
        if (n < batchSize) {
            f = f.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n)).dup();
            l = l.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n)).dup();
        }
        return new org.nd4j.linalg.dataset.MultiDataSet(f, l);
    }
}
