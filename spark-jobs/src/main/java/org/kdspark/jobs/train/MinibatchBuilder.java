package org.kdspark.jobs.train;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.kd.data.ImageView;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.method.Minibatch;
import org.kdspark.kd.method.Objective;
import org.kdspark.kd.method.TeacherShapes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import scala.Tuple2;

/**
 * Turns a partition of training rows {@code (pixels, label, signal...)} into the student's minibatch
 * {@link MultiDataSet}s: features {@code [b, C, H, W]} normalised by the input spec, and one label array per
 * term of the objective, built by {@link Objective#labels} from the hard labels and the teacher signals the
 * objective reads, each decoded from its stored encoding by its {@link SoftLabelStore.Signal} (dense or top-k
 * logits, feature taps whole, pooled or as attention maps).
 */
public final class MinibatchBuilder implements FlatMapFunction<Iterator<Tuple2<Long, Row>>, MultiDataSet> {

    private static final long serialVersionUID = 1L;

    /** Column positions in the rows this builder reads; the signals follow from {@link #FIRST_SIGNAL} on. */
    public static final int PIXELS = 0;
    public static final int LABEL = 1;
    public static final int FIRST_SIGNAL = 2;

    private final InputSpec spec;
    private final int numClasses;
    private final int batchSize;
    private final Objective objective;
    private final TeacherShapes shapes;
    private final List<SoftLabelStore.Signal> signals;
    private final boolean views;

    /**
     * @param signals the store signals carried by the rows, in column order from {@link #FIRST_SIGNAL}: those the
     *                objective reads ({@link Objective#teacherSignals()})
     */
    public MinibatchBuilder(InputSpec spec, int numClasses, int batchSize, Objective objective, TeacherShapes shapes,
            List<SoftLabelStore.Signal> signals) {
        this(spec, numClasses, batchSize, objective, shapes, signals, false);
    }

    /**
     * @param views the rows end with the {@link SoftLabelStore#VIEW_COLUMNS} of an augmented view: the image is
     *              rebuilt as that view ({@link ImageView}) before it goes into the minibatch
     */
    public MinibatchBuilder(InputSpec spec, int numClasses, int batchSize, Objective objective, TeacherShapes shapes,
            List<SoftLabelStore.Signal> signals, boolean views) {
        this.spec = spec;
        this.numClasses = numClasses;
        this.batchSize = batchSize;
        this.objective = objective;
        this.shapes = shapes;
        this.signals = List.copyOf(signals);
        this.views = views;
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
        byte[] pixels = new byte[n * values];
        int[] classes = new int[n];
        Map<String, float[]> teacher = new HashMap<>();
        for (SoftLabelStore.Signal s : signals) {
            teacher.put(s.name(), new float[n * shapes.width(s.name())]);
        }
        for (int i = 0; i < n; i++) {
            Row r = batch.get(i);
            byte[] image = (byte[]) r.get(PIXELS);
            if (views) {
                int v = FIRST_SIGNAL + signals.size();
                image = new ImageView(r.getInt(v), r.getInt(v + 1), r.getInt(v + 2), r.getBoolean(v + 3)).apply(image, spec);
            }
            System.arraycopy(image, 0, pixels, i * values, values);
            classes[i] = r.getInt(LABEL);
            for (int j = 0; j < signals.size(); j++) {
                SoftLabelStore.Signal s = signals.get(j);
                float[] target = teacher.get(s.name());
                s.decodeInto(r, FIRST_SIGNAL + j, target, i * (target.length / n));
            }
        }
        INDArray[] labels = objective.labels(new Minibatch(classes, numClasses, shapes, teacher, DataType.FLOAT));
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {spec.toInput(pixels, 0, n)}, labels);
    }
}
