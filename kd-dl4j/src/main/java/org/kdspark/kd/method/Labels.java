package org.kdspark.kd.method;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Label arrays built from a minibatch, in its data type: what a {@link DistillationMethod#labels} returns for the hard
 * labels, the teacher's logits or another stored signal.
 */
public final class Labels {

    private Labels() {
    }

    static INDArray matrix(float[] values, int rows, int cols, Minibatch batch) {
        return Nd4j.create(values, new long[] {rows, cols}, 'c').castTo(batch.dataType());
    }

    /** {@code [size, C]} one-hot hard labels. */
    public static INDArray oneHot(Minibatch batch) {
        int c = batch.numClasses();
        float[] v = new float[batch.size() * c];
        for (int i = 0; i < batch.size(); i++) {
            v[i * c + batch.classOf(i)] = 1;
        }
        return matrix(v, batch.size(), c, batch);
    }

    /** {@code [size, 2C]}: one-hot hard labels, then the teacher logits. */
    public static INDArray oneHotAndLogits(Minibatch batch) {
        int c = batch.numClasses();
        float[] logits = logits(batch);
        float[] v = new float[batch.size() * 2 * c];
        for (int i = 0; i < batch.size(); i++) {
            v[i * 2 * c + batch.classOf(i)] = 1;
            System.arraycopy(logits, i * c, v, i * 2 * c + c, c);
        }
        return matrix(v, batch.size(), 2 * c, batch);
    }

    /** The teacher logits, {@code [size, C]}. */
    public static INDArray teacherLogits(Minibatch batch) {
        return matrix(logits(batch), batch.size(), batch.numClasses(), batch);
    }

    private static float[] logits(Minibatch batch) {
        int width = batch.shapes().width(StudentTaps.LOGITS);
        if (width != batch.numClasses()) {
            throw new IllegalArgumentException("teacher logits have " + width + " classes, the student "
                    + batch.numClasses());
        }
        return batch.teacher(StudentTaps.LOGITS);
    }

    /** A teacher signal as {@code [size, width]}, flattened row-major per example. */
    public static INDArray signal(Minibatch batch, String name) {
        return matrix(batch.teacher(name), batch.size(), batch.shapes().width(name), batch);
    }
}
