package org.kdspark.kd.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.loss.KnowledgeDistillationLoss;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.model.ModelCost;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;
import org.kdspark.kd.zoo.Tap;
import org.kdspark.kd.zoo.ZooModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every architecture of the model zoo exports to ONNX with all its feature taps and verifies against DL4J (1e-4,
 * same argmax), and the exported file labels images through {@link OnnxClassifier} as DL4J does.
 */
class ZooOnnxExportTest {

    private static final InputSpec SPEC = InputSpec.FASHION_MNIST;

    static List<String> architectures() {
        return ModelZoo.names();
    }

    @ParameterizedTest
    @MethodSource("architectures")
    void everyZooArchitectureExportsWithItsTapsAndMatchesDl4j(String name) {
        ZooModel m = ModelZoo.build(name, Map.of(), SPEC, 10, 7L, OutputHead.softmaxCrossEntropy());
        ComputationGraph graph = m.init();
        trainedLikeStatistics(graph, 3);
        List<String> taps = new ArrayList<>(List.of(GraphOutputs.LOGITS));
        m.taps().stream().map(Tap::vertex).forEach(taps::add);
        byte[] pixels = pixels(6, 11);
        INDArray x = SPEC.toInput(pixels, 0, 6);

        VerifiedOnnxExport.Result r = VerifiedOnnxExport.export(graph, SPEC, taps, Map.of("source", name), x, "random");
        assertTrue(r.verification().passed() && r.verification().maxAbsDiff() <= 1e-4, r.verification().toString());
        assertEquals(ModelZoo.OUTPUT, r.outputs().get(0));

        try (OnnxClassifier c = OnnxClassifier.open(r.bytes(), SPEC, null, taps.subList(1, taps.size()), 1, false)) {
            assertEquals(OnnxClassifier.LOGITS, c.logitsOutput());
            assertEquals("6", c.metadata().get("kd.verified.images"));
            OnnxClassifier.Outputs out = c.run(pixels, 0, 6);
            // DL4J's own per-vertex activations (GraphOutputs.activations leaves a workspace open when asked for a
            // tap that ends in batch normalisation, so the verifier's own forward pass is used here)
            Map<String, INDArray> dl4j = OnnxVerifier.activations(graph,
                    NetworkView.of(graph, InputType.convolutional(28, 28, 1)), x);
            assertArrayEquals(dl4j.get(GraphOutputs.LOGITS).dup('c').data().asFloat(), out.logits(), 1e-4f, name + " logits");
            for (int t = 1; t < taps.size(); t++) {
                assertArrayEquals(dl4j.get(taps.get(t)).dup('c').data().asFloat(), out.taps().get(t - 1), 1e-4f,
                        name + " " + taps.get(t));
            }
            assertEquals(10, out.numClasses());
            Map<String, List<Long>> shapes = c.outputShapes();
            for (Tap tap : m.taps()) {
                assertEquals(java.util.Arrays.stream(tap.shape()).mapToObj(d -> (long) d).toList(), shapes.get(tap.vertex()), tap.vertex());
            }
        }
    }

    @Test
    void theKdStudentHeadExportsToo() {
        ZooModel m = ModelZoo.build("cnn-small", Map.of(), SPEC, 10, 7L,
                OutputHead.onLogits(new KnowledgeDistillationLoss(0.5, 4.0)));
        ComputationGraph graph = m.init();
        trainedLikeStatistics(graph, 4);
        VerifiedOnnxExport.Result r = VerifiedOnnxExport.export(graph, SPEC, List.of(GraphOutputs.LOGITS), Map.of(),
                SPEC.toInput(pixels(3, 2), 0, 3), "random");
        assertEquals(List.of(ModelZoo.OUTPUT, GraphOutputs.LOGITS), r.outputs());
    }

    @Test
    void aClassifierForOtherImagesOrWithoutTheTapIsRefusedNamingTheProblem() {
        ComputationGraph graph = ModelZoo.build("cnn-small", Map.of(), SPEC, 10, 7L, OutputHead.softmaxCrossEntropy()).init();
        byte[] onnx = VerifiedOnnxExport.export(graph, SPEC, List.of(GraphOutputs.LOGITS), Map.of(),
                SPEC.toInput(pixels(2, 1), 0, 2), "random").bytes();
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> OnnxClassifier.open(onnx, new InputSpec(3, 28, 28), null, List.of(), 1, false));
        assertTrue(shape.getMessage().contains("[N, 3, 28, 28]"), shape.getMessage());
        IllegalArgumentException tap = assertThrows(IllegalArgumentException.class,
                () -> OnnxClassifier.open(onnx, SPEC, null, List.of("block2"), 1, false));
        assertTrue(tap.getMessage().contains("'block2'") && tap.getMessage().contains("logits"), tap.getMessage());
    }

    @Test
    void gpuRequestOnACpuBuildOrWithoutAGpuRefusesCleanly() {
        // the default build carries the CPU-only runtime; the -Pgpu-onnx build on a machine without a GPU or CUDA 12
        // refuses in the same place, naming what is missing
        OnnxRuntimeEnvironment.GpuUnavailableException e = assertThrows(OnnxRuntimeEnvironment.GpuUnavailableException.class,
                () -> OnnxRuntimeEnvironment.cudaOptions(0, 1));
        String expected = OnnxRuntimeEnvironment.cudaBuild() ? "CUDA 12" : "-Pgpu-onnx";
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("soft_labels.onnx_device: cpu"), e.getMessage());
    }

    @Test
    void modelCostCountsTheMultiplyAddsOfConvolutionsAndDenseLayers() {
        ComputationGraph small = ModelZoo.build("cnn-small", Map.of(), SPEC, 10, 7L, OutputHead.softmaxCrossEntropy()).init();
        // conv 1->8 on 28x28, conv 8->16 on 14x14 (3x3, same), dense 784->32, logits 32->10; 2 flops per multiply-add
        double expected = 2.0 * (28 * 28 * 9 * 8 + 14 * 14 * 9 * 8 * 16 + 784 * 32 + 32 * 10) / 1e6;
        assertEquals(expected, ModelCost.mflopsPerImage(small, InputType.convolutional(28, 28, 1)), 1e-12);
    }

    /** Random biases and batch-norm statistics, so that their export is exercised; weights keep the zoo's init. */
    private static void trainedLikeStatistics(ComputationGraph graph, long seed) {
        Random r = new Random(seed);
        graph.paramTable().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String key = e.getKey();
            String param = key.substring(key.lastIndexOf('_') + 1);
            INDArray p = e.getValue();
            switch (param) {
                case "b", "beta", "mean" -> p.assign(Nd4j.rand(p.dataType(), p.shape()).subi(0.5).muli(0.2));
                case "gamma" -> p.assign(Nd4j.rand(p.dataType(), p.shape()).addi(0.5));
                case "var" -> p.assign(Nd4j.rand(p.dataType(), p.shape()).addi(0.5));
                default -> {
                }
            }
            r.nextInt();
        });
    }

    private static byte[] pixels(int count, long seed) {
        byte[] p = new byte[count * SPEC.valuesPerImage()];
        new Random(seed).nextBytes(p);
        return p;
    }
}
