package org.kdspark.kd.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.provenance.Provenance;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

class GraphOutputsTest {

    /** input(3) -> dense "logits"(4, identity) -> softmax loss layer "output". */
    private static ComputationGraph graph() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).graphBuilder()
                .addInputs("input")
                .addLayer(GraphOutputs.LOGITS, new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.IDENTITY).build(), "input")
                .addLayer("output", new LossLayer.Builder().lossFunction(new LossMCXENT()).activation(Activation.SOFTMAX).build(),
                        GraphOutputs.LOGITS)
                .setOutputs("output")
                .build());
        g.init();
        return g;
    }

    @Test
    void logitsAreTheRawPreSoftmaxValuesEvenThoughTheLossLayerActsInPlace() {
        ComputationGraph g = graph();
        INDArray x = Nd4j.rand(DataType.FLOAT, 5, 3);
        INDArray expected = x.mmul(g.getParam("logits_W")).addRowVector(g.getParam("logits_b"));
        INDArray[] acts = GraphOutputs.activations(g, x, List.of(GraphOutputs.LOGITS, "output"));
        assertArrayEquals(expected.data().asFloat(), acts[0].dup().data().asFloat(), 1e-5f);
        assertEquals(5.0, acts[1].sumNumber().doubleValue(), 1e-4, "softmax rows sum to one");
    }

    @Test
    void unknownVertexNamesTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GraphOutputs.activations(graph(), Nd4j.rand(DataType.FLOAT, 1, 3), List.of("block9")));
        assertTrue(e.getMessage().contains("'block9'") && e.getMessage().contains("logits"), e.getMessage());
    }

    @Test
    void modelZipCarriesProvenanceAndRestoresTheSameParameters() {
        ComputationGraph g = graph();
        byte[] zip = ModelFiles.toZip(g, Provenance.of("teacher", 1, "test").withDetail("note", "x"), false);
        assertEquals("x", ModelFiles.provenanceFromZip(zip).details().get("note"));
        assertEquals(g.params(), ModelFiles.graphFromZip(zip, false).params());
    }

    @Test
    void batchedActivationsOfAZooModelAreItsLogitsRowByRowAcrossUnevenBatches() {
        InputSpec spec = new InputSpec(1, 8, 8);
        byte[] pixels = new byte[5 * 64];
        new java.util.Random(3).nextBytes(pixels);
        LabeledImages images = new LabeledImages(5, spec, pixels, new int[] {0, 1, 2, 0, 1});
        ComputationGraph net = ModelZoo.build("cnn-small", java.util.Map.of(), spec, 3, 5L, OutputHead.softmaxCrossEntropy()).init();

        float[] logits = GraphOutputs.activations(net, images, GraphOutputs.LOGITS, 2);

        assertEquals(5 * 3, logits.length);
        INDArray probs = net.outputSingle(spec.toInput(pixels, 0, 5));
        for (int i = 0; i < 5; i++) {
            double max = Math.max(logits[3 * i], Math.max(logits[3 * i + 1], logits[3 * i + 2]));
            double z = 0;
            for (int c = 0; c < 3; c++) {
                z += Math.exp(logits[3 * i + c] - max);
            }
            for (int c = 0; c < 3; c++) {
                assertEquals(Math.exp(logits[3 * i + c] - max) / z, probs.getDouble(i, c), 1e-5, "image " + i + " class " + c);
            }
        }
    }
}
