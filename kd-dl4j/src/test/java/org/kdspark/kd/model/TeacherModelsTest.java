package org.kdspark.kd.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.provenance.Hashes;
import org.kdspark.kd.provenance.Provenance;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

class TeacherModelsTest {

    static final InputSpec SPEC = InputSpec.FASHION_MNIST;

    /** conv-pool-dense-softmax output layer, as a DL4J user would build a classifier; random weights. */
    static MultiLayerNetwork mln(int classes, Activation outputActivation) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT).updater(new NoOp()).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(outputActivation == Activation.SOFTMAX ? LossFunctions.LossFunction.MCXENT
                        : LossFunctions.LossFunction.XENT).nOut(classes).activation(outputActivation).build())
                .setInputType(InputType.convolutional(28, 28, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        // larger weights than the initialiser's, so that the logits are far from uniform
        net.setParams(Nd4j.rand(DataType.FLOAT, 1, net.numParams()).subi(0.5).muli(0.8));
        return net;
    }

    static byte[] zip(Model model) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ModelSerializer.writeModel(model, out, false);
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static INDArray images(int count) {
        byte[] pixels = new byte[count * SPEC.valuesPerImage()];
        new java.util.Random(5).nextBytes(pixels);
        return SPEC.toInput(pixels, 0, count);
    }

    @Test
    void multiLayerNetworkZipLoadsWithItsPreSoftmaxScoresAsLogits() {
        MultiLayerNetwork net = mln(10, Activation.SOFTMAX);
        TeacherModels.Teacher teacher = TeacherModels.load(zip(net), "mln.zip");
        assertEquals(TeacherModels.Kind.DL4J_MULTILAYER, teacher.kind());
        assertEquals(Hashes.sha256(zip(net)).length(), 64);

        INDArray x = images(6);
        INDArray logits = GraphOutputs.activations(teacher.graph(), x, List.of(GraphOutputs.LOGITS))[0];
        INDArray probs = net.output(x, false);
        assertArrayEquals(probs.dup('c').data().asFloat(), Transforms.softmax(logits.dup()).dup('c').data().asFloat(), 1e-5f);
        // the logits are the output layer's pre-activation: hidden @ W + b
        List<INDArray> acts = net.feedForward(x, false);
        INDArray hidden = acts.get(acts.size() - 2);
        INDArray w = net.getLayer(3).getParam("W");
        INDArray b = net.getLayer(3).getParam("b");
        assertArrayEquals(hidden.mmul(w).addRowVector(b).dup('c').data().asFloat(), logits.dup('c').data().asFloat(), 1e-5f);
        assertTrue(Math.abs(logits.getRow(0).sumNumber().doubleValue() - 1) > 1e-2, "logits, not probabilities");
        assertTrue(teacher.conversion().toString().contains("MultiLayerNetwork -> ComputationGraph"), teacher.conversion().toString());
    }

    @Test
    void convertedTeacherSurvivesItsZipAsExecutorsLoadIt() {
        MultiLayerNetwork net = mln(10, Activation.SOFTMAX);
        TeacherModels.Teacher teacher = TeacherModels.load(zip(net), "mln.zip");
        ComputationGraph reloaded = ModelFiles.graphFromZip(teacher.toZip(Provenance.of("teacher", 1, "test")), false);
        INDArray x = images(3);
        assertArrayEquals(GraphOutputs.activations(teacher.graph(), x, List.of(GraphOutputs.LOGITS))[0].dup('c').data().asFloat(),
                GraphOutputs.activations(reloaded, x, List.of(GraphOutputs.LOGITS))[0].dup('c').data().asFloat(), 0f);
    }

    @Test
    void computationGraphWithLogitsVertexLoadsUnchanged() {
        ComputationGraph ours = ModelZoo.build("cnn-small", java.util.Map.of(), SPEC, 10, 5L, OutputHead.softmaxCrossEntropy()).init();
        byte[] bytes = ModelFiles.toZip(ours, Provenance.of("teacher", 1, "test"), false);
        TeacherModels.Teacher teacher = TeacherModels.load(bytes, "teacher.zip");
        assertEquals(TeacherModels.Kind.DL4J_GRAPH, teacher.kind());
        assertEquals(List.of(), teacher.conversion());
        assertEquals(ours.getConfiguration().toJson(), teacher.graph().getConfiguration().toJson());
        assertEquals(ours.params(), teacher.graph().params());
        assertSame(null, teacher.declaredInput());
    }

    @Test
    void computationGraphWithoutLogitsVertexGetsItsSoftmaxOutputRenamed() {
        ComputationGraph graph = mln(5, Activation.SOFTMAX).toComputationGraph();
        TeacherModels.Teacher teacher = TeacherModels.load(zip(graph), "graph.zip");
        assertEquals(TeacherModels.Kind.DL4J_GRAPH, teacher.kind());
        INDArray x = images(4);
        INDArray logits = GraphOutputs.activations(teacher.graph(), x, List.of(GraphOutputs.LOGITS))[0];
        assertArrayEquals(graph.outputSingle(x).dup('c').data().asFloat(), Transforms.softmax(logits.dup()).dup('c').data().asFloat(), 1e-5f);
    }

    @Test
    void nonClassifierOutputIsRefusedNamingFileLayerAndFix() {
        byte[] sigmoid = zip(mln(10, Activation.SIGMOID));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TeacherModels.load(sigmoid, "multi-label.zip"));
        assertTrue(e.getMessage().contains("multi-label.zip") && e.getMessage().contains("'3'") && e.getMessage().contains("softmax"),
                e.getMessage());
    }

    @Test
    void dl4jTeacherForOtherChannelsOrImageSizeIsRefusedNamingTheConfigKeys() {
        MultiLayerNetwork rgb = mln(10, Activation.SOFTMAX);
        MultiLayerConfiguration conf = rgb.getLayerWiseConfigurations().clone();
        ((ConvolutionLayer) conf.getConf(0).getLayer()).setNIn(3);
        MultiLayerNetwork threeChannels = new MultiLayerNetwork(conf);
        threeChannels.init();
        TeacherModels.Teacher teacher = TeacherModels.load(zip(threeChannels), "rgb.zip");
        assertEquals(new TeacherModels.InputHint("0", 3, 0, 0), TeacherModels.inputHint(teacher.graph()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> teacher.requireInput(SPEC));
        assertTrue(e.getMessage().contains("rgb.zip") && e.getMessage().contains("3 channel(s)") && e.getMessage().contains("dataset.channels: 3"),
                e.getMessage());

        // a dense first layer behind DL4J's flattening preprocessor names the whole image shape
        MultiLayerConfiguration denseConf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(14, 14, 1))
                .build();
        MultiLayerNetwork dense = new MultiLayerNetwork(denseConf);
        dense.init();
        TeacherModels.Teacher small = TeacherModels.load(zip(dense), "small.zip");
        assertEquals(new TeacherModels.InputHint("0", 1, 14, 14), TeacherModels.inputHint(small.graph()));
        small.requireInput(new InputSpec(1, 14, 14));
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> small.requireInput(SPEC));
        assertTrue(size.getMessage().contains("14x14") && size.getMessage().contains("dataset.height: 14, dataset.width: 14")
                && !size.getMessage().contains("dataset.channels"), size.getMessage());
        // a convolution with the table's channel count passes
        TeacherModels.load(zip(mln(10, Activation.SOFTMAX)), "ok.zip").requireInput(SPEC);
    }

    @Test
    void bytesOfNoKnownModelAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TeacherModels.load("not a model".getBytes(java.nio.charset.StandardCharsets.UTF_8), "notes.txt"));
        assertTrue(e.getMessage().contains("notes.txt") && e.getMessage().contains("Keras"), e.getMessage());
    }
}
