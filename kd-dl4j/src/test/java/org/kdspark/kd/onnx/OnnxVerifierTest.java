package org.kdspark.kd.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class OnnxVerifierTest {

    @TempDir
    Path dir;

    @Test
    void aFileThatNoLongerMatchesIsRefusedNamingTheOutputAndTheFirstDivergingLayer() {
        ComputationGraph g = TinyNets.cnn(1, 12, 10);
        Path file = dir.resolve("stale.onnx");
        OnnxExporter.builder().inputShape(1, 12, 12).taps("logits").build().export(g, file);
        // the network moves on after export: its BN statistics change, the file does not
        g.getLayer("bn1").getParam("mean").addi(0.5);

        INDArray x = TinyNets.input(4, 6, 1, 12, 12);
        OnnxVerificationException e = assertThrows(OnnxVerificationException.class,
                () -> new OnnxVerifier().verify(g, file, x));
        assertTrue(e.getMessage().contains("output 'logits' of layer 'logits' (DenseLayer) max abs diff"),
                e.getMessage());
        assertTrue(e.getMessage().contains("First vertex to diverge: 'bn1' (BatchNormalization)"), e.getMessage());
        assertFalse(e.verification().passed());
        assertTrue(e.verification().maxAbsDiff() > 1e-4);
    }

    @Test
    void referenceActivationsAreDl4jsOwnOutputs() {
        ComputationGraph g = TinyNets.cnn(1, 12, 10);
        INDArray x = TinyNets.input(4, 3, 1, 12, 12);
        INDArray viaVertices = OnnxVerifier.activations(g, NetworkView.of(g, OnnxVerifier.inputTypeOf(x)), x).get("out");
        assertEquals(g.outputSingle(false, x), viaVertices);

        org.deeplearning4j.nn.multilayer.MultiLayerNetwork net = TinyNets.cnnMultiLayer(3, 9, 4);
        INDArray y = TinyNets.input(5, 3, 3, 9, 9);
        INDArray viaLayers = OnnxVerifier.activations(net, NetworkView.of(net, OnnxVerifier.inputTypeOf(y)), y)
                .get("layer6");
        assertEquals(net.output(y, false), viaLayers);
    }

    @Test
    void toleranceIsTheBar() {
        ComputationGraph g = TinyNets.cnn(1, 12, 10);
        Path file = dir.resolve("ok.onnx");
        OnnxExporter.builder().inputShape(1, 12, 12).build().export(g, file);
        OnnxVerification v = new OnnxVerifier(1e-4, 1).verify(g, file, TinyNets.input(4, 3, 1, 12, 12));
        assertTrue(v.passed());
        assertEquals(1, v.outputs().size());
        assertThrows(OnnxVerificationException.class,
                () -> new OnnxVerifier(0.0, 1).verify(g, file, TinyNets.input(4, 3, 1, 12, 12)),
                "float32 round-off differs somewhere, so a zero tolerance refuses");
    }
}
