package org.kdspark.jobs.models;

import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.loss.KnowledgeDistillationLoss;
import org.kdspark.kd.model.GraphOutputs;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/** Builds the teacher and student graphs named in the config, and trains a graph in one JVM. */
public final class Models {

    private Models() {
    }

    public static ComputationGraph teacher(KdConfig.Teacher t, InputSpec spec, int numClasses) {
        return cnn(t.architecture, t.params, spec, numClasses, t.seed, t.learningRate, new LossMCXENT(), Activation.SOFTMAX);
    }

    public static ComputationGraph student(KdConfig.Distill d, InputSpec spec, int numClasses) {
        return cnn(d.student, d.studentParams, spec, numClasses, d.seed, d.learningRate,
                new KnowledgeDistillationLoss(d.alpha, d.temperature), Activation.IDENTITY);
    }

    static ComputationGraph cnn(String name, Map<String, Object> params, InputSpec spec, int numClasses, long seed, double lr,
            ILossFunction loss, Activation outputActivation) {
        int[] widths = switch (name) {
            case "cnn" -> new int[] {32, 64, 128, 256};
            case "cnn-small" -> new int[] {8, 16, 0, 32};
            default -> throw new IllegalArgumentException("unknown architecture '" + name + "'; known: [cnn, cnn-small]");
        };
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Adam(lr))
                .weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(spec.height(), spec.width(), spec.channels()));
        String prev = "input";
        int block = 0;
        for (int i = 0; i < 3; i++) {
            if (widths[i] == 0) {
                continue;
            }
            block++;
            String b = "block" + block;
            g.addLayer(b + "_conv", new ConvolutionLayer.Builder(3, 3).nOut(widths[i]).activation(Activation.IDENTITY).build(), prev);
            g.addLayer(b + "_bn", new BatchNormalization.Builder().activation(Activation.RELU).build(), b + "_conv");
            if (i < 2) {
                g.addLayer(b, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), b + "_bn");
            } else {
                g.addLayer(b, new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder().activation(Activation.IDENTITY).build(), b + "_bn");
            }
            prev = b;
        }
        g.addLayer("embedding", new DenseLayer.Builder().nOut(widths[3]).activation(Activation.RELU).build(), prev);
        g.addLayer("dropout", new DropoutLayer.Builder(0.7).build(), "embedding");
        g.addLayer(GraphOutputs.LOGITS, new DenseLayer.Builder().nOut(numClasses).activation(Activation.IDENTITY).build(), "dropout");
        g.addLayer("output", new LossLayer.Builder().lossFunction(loss).activation(outputActivation).build(), GraphOutputs.LOGITS);
        g.setOutputs("output");
        ComputationGraph graph = new ComputationGraph(g.build());
        graph.init();
        return graph;
    }

    /** Trains {@code graph} on one-hot labels of {@code data} in this JVM, reshuffling with {@code seed} every epoch. */
    public static void fitLocally(ComputationGraph graph, LabeledImages data, int epochs, int batchSize, long seed, String label) {
        int n = data.count();
        int numClasses = (int) ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) graph.getLayer(GraphOutputs.LOGITS).conf().getLayer()).getNOut();
        Random random = new Random(seed);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        int values = data.spec().valuesPerImage();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            for (int i = n - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            long t0 = System.nanoTime();
            double lossSum = 0;
            int batches = 0;
            for (int first = 0; first < n; first += batchSize) {
                int b = Math.min(batchSize, n - first);
                float[] f = new float[b * values];
                float[] l = new float[b * numClasses];
                for (int r = 0; r < b; r++) {
                    int idx = order[first + r];
                    int off = idx * values;
                    for (int v = 0; v < values; v++) {
                        f[r * values + v] = (data.pixels()[off + v] & 0xFF) / 255f;
                    }
                    l[r * numClasses + data.labels()[idx]] = 1f;
                }
                INDArray features = Nd4j.create(f, data.spec().shape(b), 'c');
                INDArray labels = Nd4j.create(l, new long[] {b, numClasses}, 'c');
                graph.fit(new MultiDataSet(features, labels));
                lossSum += graph.score();
                batches++;
            }
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "%s: epoch %d/%d  loss %.4f  %.0f ex/s  %.1f s%n", label, epoch, epochs, lossSum / batches, n / s, s);
        }
    }
}
