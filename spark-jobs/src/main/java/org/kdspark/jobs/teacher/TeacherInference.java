package org.kdspark.jobs.teacher;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.codec.LogitsEncoding;

/**
 * The per-partition work of {@link TeacherLabeler}: rows stream through lazily, one batch in memory at a time; each
 * output row is its input row (less the pixels, unless kept) followed by the logits and one encoded cell per feature
 * tap.
 */
final class TeacherInference implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private final TeacherBackend teacher;
    private final int pixelsIndex;
    private final boolean keepPixels;
    private final int idIndex;
    private final LogitsEncoding logitsEncoding;
    private final List<ColumnEncoding> encodings;
    private final int batchSize;

    /**
     * @param pixelsIndex the input column of uint8 CHW pixels
     * @param keepPixels  whether the output rows keep it
     * @param idIndex     an input column naming the row in error messages, or -1
     * @param logitsEncoding the logits' encoding
     * @param encodings   one per tap of the teacher, in its order
     */
    TeacherInference(TeacherBackend teacher, int pixelsIndex, boolean keepPixels, int idIndex, LogitsEncoding logitsEncoding,
            List<ColumnEncoding> encodings, int batchSize) {
        this.teacher = teacher;
        this.pixelsIndex = pixelsIndex;
        this.keepPixels = keepPixels;
        this.idIndex = idIndex;
        this.logitsEncoding = logitsEncoding;
        this.encodings = List.copyOf(encodings);
        this.batchSize = batchSize;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        return new Iterator<>() {
            private Iterator<Row> batch = Collections.emptyIterator();

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
        int values = teacher.spec().valuesPerImage();
        byte[] pixels = new byte[n * values];
        for (int i = 0; i < n; i++) {
            byte[] p = (byte[]) inputs.get(i).get(pixelsIndex);
            if (p.length != values) {
                throw new IllegalStateException("image " + (idIndex >= 0 ? inputs.get(i).get(idIndex) : "#" + i) + " has " + p.length
                        + " pixel bytes, the teacher takes " + teacher.spec() + " (" + values + " bytes)");
            }
            System.arraycopy(p, 0, pixels, i * values, values);
        }
        TeacherBackend.Outputs out = teacher.label(pixels, n);
        int numClasses = out.numClasses();
        int taps = out.taps().size();
        List<Row> labelled = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Row in = inputs.get(i);
            boolean ensemble = !out.memberLogits().isEmpty();
            int kept = keepPixels ? in.size() : in.size() - 1;
            Object[] fields = new Object[kept + 1 + taps + (ensemble ? 1 : 0)];
            for (int c = 0, f = 0; c < in.size(); c++) {
                if (keepPixels || c != pixelsIndex) {
                    fields[f++] = in.get(c);
                }
            }
            if (logitsEncoding instanceof LogitsEncoding.TopK topk) {
                fields[kept] = topk.cell().encode(out.logits(), i * numClasses, new int[] {numClasses});
            } else {
                // a primitive array: Spark's row encoder copies it into the array<float> cell without boxing each value
                fields[kept] = Arrays.copyOfRange(out.logits(), i * numClasses, (i + 1) * numClasses);
            }
            for (int t = 0; t < taps; t++) {
                int size = out.tapSize(t);
                fields[kept + 1 + t] = encodings.get(t).encode(out.taps().get(t), i * size, out.tapShapes().get(t));
            }
            if (ensemble) {
                Float[][] members = new Float[out.memberLogits().size()][numClasses];
                for (int m = 0; m < members.length; m++) {
                    for (int k = 0; k < numClasses; k++) {
                        members[m][k] = out.memberLogits().get(m)[i * numClasses + k];
                    }
                }
                fields[kept + 1 + taps] = members;
            }
            labelled.add(RowFactory.create(fields));
        }
        return labelled;
    }
}
