package org.kdspark.kd.model;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The arithmetic of one forward pass: floating-point operations per image of the layers that do matrix
 * multiplication (convolutions, depthwise and separable convolutions, dense layers), counting a multiply-add as 2.
 * Batch normalisation, pooling and activations are left out: they are memory-bound and small beside the
 * convolutions, and the figure is compared with a GEMM roofline.
 */
public final class ModelCost {

    private ModelCost() {
    }

    /** MFLOPs (1e6 floating-point operations) per image of {@code graph} on input of type {@code input}. */
    public static double mflopsPerImage(ComputationGraph graph, InputType input) {
        ComputationGraphConfiguration conf = graph.getConfiguration().clone();
        Map<String, InputType> types = new java.util.HashMap<>(conf.getLayerActivationTypes(input));
        types.put(conf.getNetworkInputs().get(0), input);
        double flops = 0;
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            if (!(e.getValue() instanceof LayerVertex lv)) {
                continue;
            }
            List<String> inputs = conf.getVertexInputs().get(e.getKey());
            InputType in = types.get(inputs.get(0));
            InputPreProcessor pre = lv.getPreProcessor();
            if (pre != null && in != null) {
                in = pre.getOutputType(in);
            }
            flops += flops(lv.getLayerConf().getLayer(), in, types.get(e.getKey()));
        }
        return flops / 1e6;
    }

    private static double flops(Layer layer, InputType in, InputType out) {
        if (layer instanceof ConvolutionLayer conv && out instanceof InputType.InputTypeConvolutional o
                && in instanceof InputType.InputTypeConvolutional i) {
            int[] k = conv.getKernelSize();
            double positions = (double) o.getHeight() * o.getWidth();
            double kernel = (double) k[0] * k[1];
            if (layer instanceof SeparableConvolution2D sep) {
                double m = sep.getDepthMultiplier();
                return 2 * positions * (kernel * i.getChannels() * m + (double) i.getChannels() * m * o.getChannels());
            }
            if (layer instanceof DepthwiseConvolution2D) {
                return 2 * positions * kernel * o.getChannels();
            }
            return 2 * positions * kernel * i.getChannels() * o.getChannels();
        }
        if (layer instanceof FeedForwardLayer ff && !(layer instanceof ConvolutionLayer) && ff.getNIn() > 0
                && ff.getNOut() > 0 && !(layer instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization)) {
            return 2.0 * ff.getNIn() * ff.getNOut();
        }
        return 0;
    }
}
