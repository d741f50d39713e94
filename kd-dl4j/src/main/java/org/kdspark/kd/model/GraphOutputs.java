package org.kdspark.kd.model;

import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.data.LabeledImages;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reads named vertex activations of a graph in inference mode. Every model of the project names its raw
 * logits vertex {@value #LOGITS}; feature taps are other vertex names.
 */
public final class GraphOutputs {

    public static final String LOGITS = "logits";

    private GraphOutputs() {
    }

    /**
     * Inference-mode activations of {@code vertices} for {@code input}, detached from any workspace.
     *
     * <p>Not {@code feedForward}: its map can hold arrays that later in-place layers (activation, loss) have
     * overwritten; {@code output(List, ...)} detaches each requested activation as soon as it is computed.
     */
    public static INDArray[] activations(ComputationGraph graph, INDArray input, List<String> vertices) {
        requireVertices(graph, vertices, "activations");
        return graph.output(vertices, false, new INDArray[] {input}, null);
    }

    /**
     * Inference-mode activations of {@code vertex} (e.g. {@value #LOGITS}) for every image of {@code images}, in
     * batches of {@code batchSize}: {@code [count * values per example]}, row-major, one example after another.
     */
    public static float[] activations(ComputationGraph graph, LabeledImages images, String vertex, int batchSize) {
        float[] out = null;
        int width = 0;
        for (int first = 0; first < images.count(); first += batchSize) {
            int n = Math.min(batchSize, images.count() - first);
            INDArray a = activations(graph, images.spec().toInput(images.pixels(), first, n), List.of(vertex))[0];
            float[] batch = a.dup('c').data().asFloat();
            if (out == null) {
                width = batch.length / n;
                out = new float[images.count() * width];
            }
            System.arraycopy(batch, 0, out, first * width, batch.length);
        }
        return out == null ? new float[0] : out;
    }

    /** Checks that {@code graph} has every vertex in {@code names}, naming the missing one and the choices. */
    public static void requireVertices(ComputationGraph graph, List<String> names, String what) {
        for (String name : names) {
            if (graph.getVertex(name) == null) {
                throw new IllegalArgumentException(what + ": the model has no vertex '" + name + "'; choose from "
                        + Arrays.stream(graph.getVertices()).map(v -> v.getVertexName()).filter(n -> !n.equals("input")).sorted().toList());
            }
        }
    }
}
