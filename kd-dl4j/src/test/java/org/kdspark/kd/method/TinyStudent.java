package org.kdspark.kd.method;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.kdspark.kd.zoo.Tap;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * A tiny conv student on 1x6x6 inputs with taps {@code block [4,6,6]}, {@code pool [4,3,3]}, {@code embed [8]}
 * and {@code logits [3]}, and random teacher signals {@code logits [3]}, {@code block [6,6,6]},
 * {@code block_map [6,6]} (a precomputed attention map), {@code small [5,4,4]} and {@code embed [5]}.
 */
final class TinyStudent {

    static final int CLASSES = 3;

    static final StudentTaps TAPS = new StudentTaps(Map.of(
            "logits", new Tap("logits", CLASSES),
            "block", new Tap("block", 4, 6, 6),
            "pool", new Tap("pool", 4, 3, 3),
            "embed", new Tap("embed", 8)));

    static final TeacherShapes TEACHER;

    static {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put("logits", new int[] {CLASSES});
        shapes.put("block", new int[] {6, 6, 6});
        shapes.put("block_map", new int[] {6, 6});
        shapes.put("small", new int[] {5, 4, 4});
        shapes.put("embed", new int[] {5});
        TEACHER = new TeacherShapes(shapes);
    }

    private TinyStudent() {
    }

    static GraphBuilder graph(DataType type, IUpdater updater, Activation hidden) {
        return new NeuralNetConfiguration.Builder().dataType(type).seed(3).updater(updater)
                .weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(6, 6, 1))
                .addLayer("block", new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                        .activation(hidden).build(), "in")
                .addLayer("pool", new SubsamplingLayer.Builder(2, 2).stride(2, 2).build(), "block")
                .addLayer("embed", new DenseLayer.Builder().nOut(8).activation(Activation.TANH).build(), "pool")
                .addLayer("logits", new DenseLayer.Builder().nOut(CLASSES).activation(Activation.IDENTITY).build(),
                        "embed");
    }

    static GraphBuilder graph() {
        return graph(DataType.FLOAT, new Adam(0.01), Activation.RELU);
    }

    static INDArray images(Random rng, int n, DataType type) {
        double[] v = new double[n * 36];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextDouble();
        }
        return Nd4j.create(v, new long[] {n, 1, 6, 6}, 'c').castTo(type);
    }

    static Minibatch minibatch(Random rng, int n, DataType type) {
        int[] classes = new int[n];
        for (int i = 0; i < n; i++) {
            classes[i] = rng.nextInt(CLASSES);
        }
        Map<String, float[]> teacher = new HashMap<>();
        for (String name : new String[] {"logits", "block", "block_map", "small", "embed"}) {
            float[] v = new float[n * TEACHER.width(name)];
            for (int i = 0; i < v.length; i++) {
                v[i] = name.equals("logits") ? (float) (2 * rng.nextGaussian()) : (float) Math.abs(rng.nextGaussian());
            }
            teacher.put(name, v);
        }
        return new Minibatch(classes, CLASSES, TEACHER, teacher, type);
    }
}
