package org.kdspark.kd.method;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.kdspark.kd.zoo.Tap;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/** Adding loss heads to a student graph, with the checks every method needs. */
final class Heads {

    private Heads() {
    }

    /** Adds a parameter-free loss layer on {@code input}, flattening a feature map channel-major first. */
    static String lossLayer(GraphBuilder graph, String name, ILossFunction loss, String input, int[] inputShape) {
        requireNew(graph, name);
        LossLayer layer = new LossLayer.Builder(loss).activation(Activation.IDENTITY).build();
        if (inputShape.length == 3) {
            graph.addLayer(name, layer, flatten(inputShape), input);
        } else {
            graph.addLayer(name, layer, input);
        }
        return name;
    }

    static CnnToFeedForwardPreProcessor flatten(int[] chw) {
        return new CnnToFeedForwardPreProcessor(chw[1], chw[2], chw[0]);
    }

    static void requireNew(GraphBuilder graph, String name) {
        if (graph.getVertices().containsKey(name)) {
            throw new IllegalArgumentException("the student graph already has a vertex named '" + name
                    + "'; rename the student's vertex or the objective term");
        }
    }

    /** Fails if the tap's vertex is missing or is a layer with an explicit non-identity activation. */
    static void requireRawOutput(GraphBuilder graph, Tap tap, String why) {
        GraphVertex v = graph.getVertices().get(tap.vertex());
        if (v == null) {
            throw new IllegalArgumentException("the student graph has no vertex '" + tap.vertex() + "' (tap " + tap
                    + ")");
        }
        if (v instanceof LayerVertex lv && lv.getLayerConf() != null
                && lv.getLayerConf().getLayer() instanceof BaseLayer layer && layer.getActivationFn() != null
                && !(layer.getActivationFn() instanceof ActivationIdentity)) {
            throw new IllegalArgumentException("tap " + tap + " has activation " + layer.getActivationFn() + "; "
                    + why + " needs raw values: give that layer Activation.IDENTITY");
        }
    }

    static void requireVertex(GraphBuilder graph, Tap tap) {
        if (!graph.getVertices().containsKey(tap.vertex())) {
            throw new IllegalArgumentException("the student graph has no vertex '" + tap.vertex() + "' (tap " + tap
                    + ")");
        }
    }
}
