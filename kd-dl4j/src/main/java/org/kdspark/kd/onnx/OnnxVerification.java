package org.kdspark.kd.onnx;

import java.util.List;

/**
 * How an exported ONNX model compared with DL4J on one batch.
 *
 * @param batchSize  images compared
 * @param tolerance  largest max-abs difference accepted
 * @param outputs    one entry per ONNX output, in the file's order
 */
public record OnnxVerification(int batchSize, double tolerance, List<OutputCheck> outputs) {

    public OnnxVerification {
        outputs = List.copyOf(outputs);
    }

    /**
     * One output compared.
     *
     * @param name              the ONNX output, which is the DL4J vertex of the same name
     * @param vertex            that vertex described, e.g. {@code 'fc' (DenseLayer)}
     * @param maxAbsDiff        max |ORT - DL4J| over the batch
     * @param argmaxMismatches  rows whose argmax differs, for network outputs of rank 2; -1 when not checked
     */
    public record OutputCheck(String name, String vertex, double maxAbsDiff, int argmaxMismatches) {

        boolean passes(double tolerance) {
            return maxAbsDiff <= tolerance && argmaxMismatches <= 0;
        }
    }

    public boolean passed() {
        return outputs.stream().allMatch(o -> o.passes(tolerance));
    }

    /** Largest difference over all outputs. */
    public double maxAbsDiff() {
        return outputs.stream().mapToDouble(OutputCheck::maxAbsDiff).max().orElse(0);
    }
}
