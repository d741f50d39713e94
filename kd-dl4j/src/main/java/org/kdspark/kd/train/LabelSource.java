package org.kdspark.kd.train;

import org.kdspark.kd.data.LabeledImages;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Produces the label array of one minibatch from the indices (into the training block) of its examples.
 *
 * <p>The trainer is agnostic of what labels mean: one-hot for cross-entropy, {@code [one-hot | teacher logits]}
 * for a KD loss, anything a loss function reads.
 */
@FunctionalInterface
public interface LabelSource {

    /**
     * @param indices the examples of the batch, in batch order
     * @return a {@code [indices.length, width]} float array
     */
    INDArray labels(int[] indices);

    /** One-hot rows of the block's integer labels. */
    static LabelSource oneHot(LabeledImages data, int numClasses) {
        return indices -> {
            float[] v = new float[indices.length * numClasses];
            for (int i = 0; i < indices.length; i++) {
                int label = data.labels()[indices[i]];
                if (label < 0 || label >= numClasses) {
                    throw new IllegalArgumentException("label " + label + " of example " + indices[i]
                            + " is outside [0, " + numClasses + ")");
                }
                v[i * numClasses + label] = 1f;
            }
            return Nd4j.create(v, new long[] {indices.length, numClasses}, 'c').castTo(DataType.FLOAT);
        };
    }

    /**
     * One-hot labels followed by per-example soft targets (e.g. teacher logits): the
     * {@code [one-hot | teacher logits]} layout of the KD losses.
     *
     * @param targets {@code [count, k]}, row {@code i} belonging to example {@code i} of the block
     */
    static LabelSource oneHotAndTargets(LabeledImages data, int numClasses, float[][] targets) {
        if (targets.length != data.count()) {
            throw new IllegalArgumentException("targets has " + targets.length + " rows, block has " + data.count() + " examples");
        }
        int k = targets.length == 0 ? 0 : targets[0].length;
        int width = numClasses + k;
        return indices -> {
            float[] v = new float[indices.length * width];
            for (int i = 0; i < indices.length; i++) {
                int ex = indices[i];
                v[i * width + data.labels()[ex]] = 1f;
                System.arraycopy(targets[ex], 0, v, i * width + numClasses, k);
            }
            return Nd4j.create(v, new long[] {indices.length, width}, 'c').castTo(DataType.FLOAT);
        };
    }
}
