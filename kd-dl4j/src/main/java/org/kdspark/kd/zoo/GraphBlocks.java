package org.kdspark.kd.zoo;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.kdspark.kd.data.InputSpec;
import org.nd4j.linalg.activations.Activation;

/**
 * The building blocks architectures are made of, over a DL4J graph builder whose defaults (updater, weight
 * init, {@code ConvolutionMode.Same}, dtype) are already set. Every method adds vertices and returns the name of
 * the vertex that holds the result, so bodies read as a chain of calls.
 */
public final class GraphBlocks {

    private final ComputationGraphConfiguration.GraphBuilder graph;
    private final InputSpec inputSpec;
    private final List<String> taps = new ArrayList<>();

    GraphBlocks(ComputationGraphConfiguration.GraphBuilder graph, InputSpec inputSpec) {
        this.graph = graph;
        this.inputSpec = inputSpec;
    }

    /** The name of the network input. */
    public String input() {
        return ModelZoo.INPUT;
    }

    public InputSpec inputSpec() {
        return inputSpec;
    }

    /** The underlying builder, for layers these blocks do not cover. */
    public ComputationGraphConfiguration.GraphBuilder graph() {
        return graph;
    }

    /** Exposes {@code vertex} as a feature tap (its name is the tap's name). */
    public GraphBlocks tap(String vertex) {
        if (taps.contains(vertex)) {
            throw new IllegalStateException("tap '" + vertex + "' registered twice");
        }
        taps.add(vertex);
        return this;
    }

    List<String> taps() {
        return List.copyOf(taps);
    }

    /** A {@code k x k} convolution with stride {@code s} and the given activation, with a bias. */
    public String conv(String name, String in, int nOut, int k, int s, Activation activation) {
        graph.addLayer(name, new ConvolutionLayer.Builder(k, k).stride(s, s).nOut(nOut)
                .activation(activation).build(), in);
        return name;
    }

    /**
     * Convolution (no bias: batch norm has its own shift) then batch norm then ReLU, as vertices
     * {@code name_conv}, {@code name_bn} and {@code name}.
     */
    public String convBnRelu(String name, String in, int nOut, int k, int s) {
        graph.addLayer(name + "_conv", new ConvolutionLayer.Builder(k, k).stride(s, s).nOut(nOut)
                .hasBias(false).activation(Activation.IDENTITY).build(), in);
        return bnAct(name, name + "_conv", Activation.RELU);
    }

    /** Convolution then batch norm with no activation ({@code name_conv}, {@code name}), for residual branches. */
    public String convBn(String name, String in, int nOut, int k, int s) {
        graph.addLayer(name + "_conv", new ConvolutionLayer.Builder(k, k).stride(s, s).nOut(nOut)
                .hasBias(false).activation(Activation.IDENTITY).build(), in);
        graph.addLayer(name, new BatchNormalization.Builder().build(), name + "_conv");
        return name;
    }

    /**
     * Depthwise {@code k x k} convolution, batch norm, ReLU ({@code name_dw}, {@code name_dwbn}, {@code name_dwrelu})
     * then pointwise 1x1 convolution, batch norm, ReLU ({@code name_pw}, {@code name_bn}, {@code name}):
     * the MobileNet v1 block.
     */
    public String depthwiseSeparable(String name, String in, int nOut, int k, int s) {
        graph.addLayer(name + "_dw", new DepthwiseConvolution2D.Builder(k, k).stride(s, s).depthMultiplier(1)
                .hasBias(false).activation(Activation.IDENTITY).build(), in);
        String dw = bnAct(name + "_dw", name + "_dw", Activation.RELU, name + "_dwbn", name + "_dwrelu");
        graph.addLayer(name + "_pw", new ConvolutionLayer.Builder(1, 1).nOut(nOut).hasBias(false)
                .activation(Activation.IDENTITY).build(), dw);
        return bnAct(name, name + "_pw", Activation.RELU);
    }

    /** Batch norm then an activation, as {@code name_bn} and {@code name}. */
    public String bnAct(String name, String in, Activation activation) {
        return bnAct(name, in, activation, name + "_bn", name);
    }

    private String bnAct(String name, String in, Activation activation, String bnName, String actName) {
        graph.addLayer(bnName, new BatchNormalization.Builder().build(), in);
        graph.addLayer(actName, new ActivationLayer.Builder().activation(activation).build(), bnName);
        return actName;
    }

    public String activation(String name, String in, Activation activation) {
        graph.addLayer(name, new ActivationLayer.Builder().activation(activation).build(), in);
        return name;
    }

    public String maxPool(String name, String in, int k, int s) {
        graph.addLayer(name, new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(k, k).stride(s, s).build(), in);
        return name;
    }

    public String avgPool(String name, String in, int k, int s) {
        graph.addLayer(name, new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(k, k).stride(s, s).build(), in);
        return name;
    }

    /** Global average pooling of a feature map to a vector {@code [C]}. */
    public String globalAvgPool(String name, String in) {
        graph.addLayer(name, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), in);
        return name;
    }

    /** A fully connected layer; a feature-map input is flattened by DL4J. */
    public String dense(String name, String in, int nOut, Activation activation) {
        graph.addLayer(name, new DenseLayer.Builder().nOut(nOut).activation(activation).build(), in);
        return name;
    }

    /**
     * Dense without bias, batch norm, then activation ({@code name_dense}, {@code name_bn}, {@code name}).
     */
    public String denseBnAct(String name, String in, int nOut, Activation activation) {
        graph.addLayer(name + "_dense", new DenseLayer.Builder().nOut(nOut).hasBias(false)
                .activation(Activation.IDENTITY).build(), in);
        return bnAct(name, name + "_dense", activation);
    }

    /**
     * Inverted dropout at training time.
     *
     * @param dropProbability probability of zeroing a unit (DL4J's own argument is the keep probability)
     */
    public String dropout(String name, String in, double dropProbability) {
        graph.addLayer(name, new DropoutLayer.Builder(1.0 - dropProbability).build(), in);
        return name;
    }

    /** Element-wise sum of same-shaped inputs (residual connections). */
    public String add(String name, String... in) {
        graph.addVertex(name, new ElementWiseVertex(ElementWiseVertex.Op.Add), in);
        return name;
    }
}
