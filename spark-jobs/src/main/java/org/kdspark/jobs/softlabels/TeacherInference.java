package org.kdspark.jobs.softlabels;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.onnx.OnnxTeacherBackend;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.kd.codec.TensorEncoding;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.onnx.OnnxClassifier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Labels image-table rows with the teacher, in batches, inside {@code mapPartitions}. The model travels as a
 * broadcast and is deserialised once per executor ({@link TeacherCache}); rows stream through lazily, one
 * batch in memory at a time. With an {@link OnnxTeacherBackend}, ONNX Runtime computes the batch instead of DL4J.
 */
public final class TeacherInference implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private final Broadcast<byte[]> teacherZip;
    private final String teacherSha256;
    private final InputSpec spec;
    private final List<String> taps;
    private final TensorEncoding featureEncoding;
    private final int batchSize;
    /** When set, ONNX Runtime labels instead of the DL4J teacher. */
    private final OnnxTeacherBackend onnx;

    public TeacherInference(Broadcast<byte[]> teacherZip, String teacherSha256, InputSpec spec, List<String> taps,
            TensorEncoding featureEncoding, int batchSize, OnnxTeacherBackend onnx) {
        this.teacherZip = teacherZip;
        this.teacherSha256 = teacherSha256;
        this.spec = spec;
        this.taps = List.copyOf(taps);
        this.featureEncoding = featureEncoding;
        this.batchSize = batchSize;
        this.onnx = onnx;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        return new Iterator<>() {
            private Iterator<Row> batch = java.util.Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                if (!batch.hasNext() && rows.hasNext()) {
                    batch = label(rows).iterator();
                }
                return batch.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return batch.next();
            }
        };
    }

    private List<Row> label(Iterator<Row> rows) {
        List<Row> inputs = new ArrayList<>(batchSize);
        while (rows.hasNext() && inputs.size() < batchSize) {
            inputs.add(rows.next());
        }
        int n = inputs.size();
        int values = spec.valuesPerImage();
        byte[] pixels = new byte[n * values];
        for (int i = 0; i < n; i++) {
            byte[] p = (byte[]) inputs.get(i).getAs(ImageTable.PIXELS);
            if (p.length != values) {
                throw new IllegalStateException("image " + inputs.get(i).getAs(ImageTable.ID) + " has " + p.length
                        + " pixel bytes, the teacher expects " + spec);
            }
            System.arraycopy(p, 0, pixels, i * values, values);
        }
        float[] logits;
        float[][] features = new float[taps.size()][];
        if (onnx != null) {
            OnnxClassifier.Outputs out = onnx.label(pixels, n);
            logits = out.logits();
            for (int t = 0; t < taps.size(); t++) {
                features[t] = out.taps().get(t);
            }
        } else {
            List<String> vertices = new ArrayList<>(taps.size() + 1);
            vertices.add(GraphOutputs.LOGITS);
            vertices.addAll(taps);
            ComputationGraph teacher = TeacherCache.borrow(teacherSha256, teacherZip::value);
            INDArray[] acts;
            try {
                acts = GraphOutputs.activations(teacher, spec.toInput(pixels, 0, n), vertices);
            } finally {
                TeacherCache.release(teacherSha256, teacher);
            }
            logits = acts[0].dup('c').data().asFloat();
            for (int t = 0; t < taps.size(); t++) {
                features[t] = acts[t + 1].dup('c').data().asFloat();
            }
        }
        int numClasses = logits.length / n;
        int[] featureSize = new int[taps.size()];
        for (int t = 0; t < taps.size(); t++) {
            featureSize[t] = features[t].length / n;
        }
        List<Row> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Row in = inputs.get(i);
            Object[] fields = new Object[4 + taps.size()];
            fields[0] = in.getAs(ImageTable.ID);
            fields[1] = in.getAs(ImageTable.SPLIT);
            fields[2] = in.getAs(ImageTable.LABEL);
            float[] l = new float[numClasses];
            System.arraycopy(logits, i * numClasses, l, 0, numClasses);
            fields[3] = toBoxed(l);
            for (int t = 0; t < taps.size(); t++) {
                fields[4 + t] = featureEncoding.encode(features[t], i * featureSize[t], featureSize[t]);
            }
            out.add(RowFactory.create(fields));
        }
        return out;
    }

    private static Float[] toBoxed(float[] v) {
        Float[] out = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
