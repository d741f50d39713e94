package org.kdspark.kd.model;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reads named vertex activations of a graph in inference mode. Every model of the project names its raw
 * logits vertex {@value #LOGITS}; feature taps are other vertex names.
 */
public final class GraphOutputs {

    public static final String LOGITS = "logits";

    private GraphOutputs() {
    }

    /** Activations of {@code vertices} for {@code input}, detached from any workspace. */
    public static INDArray[] activations(ComputationGraph graph, INDArray input, List<String> vertices) {
        Map<String, INDArray> all = graph.feedForward(input, false);
        INDArray[] out = new INDArray[vertices.size()];
        for (int i = 0; i < out.length; i++) {
            INDArray a = all.get(vertices.get(i));
            if (a == null) {
                throw new IllegalArgumentException("the model has no vertex '" + vertices.get(i) + "'; its vertices are "
                        + Arrays.stream(graph.getVertices()).map(v -> v.getVertexName()).sorted().toList());
            }
            out[i] = a;
        }
        return out;
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
