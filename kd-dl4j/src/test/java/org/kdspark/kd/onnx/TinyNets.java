package org.kdspark.kd.onnx;

import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Tiny random-weight networks and inputs for export tests; everything seeded. */
final class TinyNets {

    private TinyNets() {
    }

    static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT).updater(new NoOp());
    }

    /** A graph of {@code layers} in a chain from input "input", the last one named "out". */
    static ComputationGraph chain(InputType inputType, Layer... layers) {
        ComputationGraphConfiguration.GraphBuilder b = base().graphBuilder().addInputs("input");
        String previous = "input";
        for (int i = 0; i < layers.length; i++) {
            String name = i == layers.length - 1 ? "out" : "l" + i;
            b.addLayer(name, layers[i], previous);
            previous = name;
        }
        b.setOutputs(previous).setInputTypes(inputType);
        return randomized(new ComputationGraph(b.build()));
    }

    /** conv-BN-relu-pool-conv-BN-relu-dense(logits)-softmax, the shape of the project's students. */
    static ComputationGraph cnn(int channels, int size, int classes) {
        ComputationGraphConfiguration conf = base().graphBuilder().addInputs("input")
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(6).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build(), "input")
                .addLayer("bn1", new BatchNormalization.Builder().build(), "conv1")
                .addLayer("relu1", new org.deeplearning4j.nn.conf.layers.ActivationLayer(Activation.RELU), "bn1")
                .addLayer("pool1", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(),
                        "relu1")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.RELU).build(),
                        "pool1")
                .addLayer("logits", new DenseLayer.Builder().nOut(classes).activation(Activation.IDENTITY).build(),
                        "conv2")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(classes).nOut(classes)
                        .activation(Activation.SOFTMAX).build(), "logits")
                .setOutputs("out").setInputTypes(InputType.convolutional(size, size, channels)).build();
        return randomized(new ComputationGraph(conf));
    }

    /** The same kind of CNN as a MultiLayerNetwork, ending in global average pooling. */
    static MultiLayerNetwork cnnMultiLayer(int channels, int size, int classes) {
        MultiLayerConfiguration conf = base().list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(8).activation(Activation.TANH).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new DenseLayer.Builder().nOut(12).activation(Activation.LEAKYRELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(size, size, channels)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        randomize(net.paramTable(), 11);
        return net;
    }

    static ComputationGraph randomized(ComputationGraph graph) {
        graph.init();
        randomize(graph.paramTable(), 11);
        return graph;
    }

    /**
     * Every parameter uniform in [-0.5, 0.5] (biases and BN statistics included, so that their mapping is tested),
     * except BN variances, which must be positive.
     */
    static void randomize(Map<String, INDArray> params, long seed) {
        Random r = new Random(seed);
        params.keySet().stream().sorted().forEach(key -> {
            INDArray p = params.get(key);
            float[] v = new float[(int) p.length()];
            boolean variance = key.endsWith("_" + BatchNormalizationParamInitializer.GLOBAL_VAR);
            for (int i = 0; i < v.length; i++) {
                v[i] = variance ? 0.5f + r.nextFloat() : r.nextFloat() - 0.5f;
            }
            p.assign(Nd4j.create(v, p.shape(), p.ordering()));
        });
    }

    /** A seeded batch uniform in [0, 1), like normalised pixels. */
    static INDArray input(long seed, long... shape) {
        Random r = new Random(seed);
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextFloat();
        }
        return Nd4j.create(v, shape, 'c');
    }
}
