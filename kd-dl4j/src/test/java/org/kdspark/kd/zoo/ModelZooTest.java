package org.kdspark.kd.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kdspark.kd.data.InputSpec;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

class ModelZooTest {

    static final InputSpec SPEC = InputSpec.FASHION_MNIST;

    static List<String> architectures() {
        return ModelZoo.names();
    }

    @Test
    void registryHoldsTeacherAndStudent() {
        assertEquals(List.of("cnn", "cnn-small", "mlp", "lenet5", "resnet", "mobilenet"), ModelZoo.names());
    }

    @ParameterizedTest
    @MethodSource("architectures")
    void everyArchitectureKeepsTheNamingConventions(String name) {
        ZooModel m = ModelZoo.build(name, Map.of(), SPEC, 10, 7L, OutputHead.onLogits(new LossMSE()));
        ComputationGraphConfiguration conf = m.conf();
        assertEquals(List.of(ModelZoo.INPUT), conf.getNetworkInputs());
        assertEquals(List.of(ModelZoo.OUTPUT), conf.getNetworkOutputs());
        DenseLayer logits = assertInstanceOf(DenseLayer.class, ((LayerVertex) conf.getVertices().get(ModelZoo.LOGITS)).getLayerConf().getLayer());
        assertEquals(10, logits.getNOut());
        assertEquals(Activation.IDENTITY.getActivationFunction(), logits.getActivationFn());
        LossLayer out = assertInstanceOf(LossLayer.class, ((LayerVertex) conf.getVertices().get(ModelZoo.OUTPUT)).getLayerConf().getLayer());
        assertInstanceOf(LossMSE.class, out.getLossFn());
        assertEquals(Activation.IDENTITY.getActivationFunction(), out.getActivationFn());
        assertEquals(List.of(ModelZoo.LOGITS), conf.getVertexInputs().get(ModelZoo.OUTPUT));
        assertEquals(DataType.FLOAT, conf.getDataType());
        assertTrue(!m.taps().isEmpty(), name + " has no taps");
    }

    @ParameterizedTest
    @MethodSource("architectures")
    void tapShapesMatchAForwardPass(String name) {
        ZooModel m = ModelZoo.build(name, Map.of(), SPEC, 10, 7L, OutputHead.softmaxCrossEntropy());
        ComputationGraph net = m.init();
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 1, 28, 28);
        List<String> vertices = new java.util.ArrayList<>(m.taps().stream().map(Tap::vertex).toList());
        vertices.add(ModelZoo.LOGITS);
        Map<String, INDArray> all = net.feedForward(x, false);
        INDArray[] acts = vertices.stream().map(all::get).toArray(INDArray[]::new);
        for (int i = 0; i < m.taps().size(); i++) {
            Tap tap = m.taps().get(i);
            long[] expected = new long[tap.shape().length + 1];
            expected[0] = 2;
            for (int d = 0; d < tap.shape().length; d++) {
                expected[d + 1] = tap.shape()[d];
            }
            assertArrayEquals(expected, acts[i].shape(), name + " tap " + tap);
        }
        assertArrayEquals(new long[] {2, 10}, acts[acts.length - 1].shape());
        INDArray probs = net.outputSingle(x);
        assertEquals(2.0, probs.sumNumber().doubleValue(), 1e-4, "softmax rows sum to 1");
    }

    /** RGB photos at the sizes users bring, with many classes: every architecture builds and its taps are what it says. */
    @ParameterizedTest
    @MethodSource("architectures")
    void everyArchitectureTakesRgbImagesFrom32To224PixelsAndManyClasses(String name) {
        for (int side : new int[] {32, 224}) {
            ZooModel m = ModelZoo.build(name, Map.of(), new InputSpec(3, side, side), 100, 7L, OutputHead.softmaxCrossEntropy());
            ComputationGraph net = m.init();
            Map<String, INDArray> all = net.feedForward(Nd4j.rand(DataType.FLOAT, 1, 3, side, side), false);
            for (Tap tap : m.taps()) {
                long[] expected = new long[tap.shape().length + 1];
                expected[0] = 1;
                for (int d = 0; d < tap.shape().length; d++) {
                    expected[d + 1] = tap.shape()[d];
                }
                assertArrayEquals(expected, all.get(tap.vertex()).shape(), name + " at " + side + " px, tap " + tap);
            }
            assertArrayEquals(new long[] {1, 100}, all.get(ModelZoo.LOGITS).shape(), name + " at " + side + " px");
        }
    }

    @Test
    void teacherTapsHaveTheDocumentedShapes() {
        ZooModel m = ModelZoo.build("cnn", Map.of(), SPEC, 10, 1L, OutputHead.softmaxCrossEntropy());
        assertEquals(List.of("block1", "block2", "block3", "embedding"), m.taps().stream().map(Tap::vertex).toList());
        assertArrayEquals(new int[] {32, 14, 14}, m.tap("block1").shape());
        assertArrayEquals(new int[] {64, 7, 7}, m.tap("block2").shape());
        assertArrayEquals(new int[] {128, 4, 4}, m.tap("block3").shape());
        assertArrayEquals(new int[] {128}, m.tap("embedding").shape());
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> documentedShapes() {
        return java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("lenet5", Map.of(), 61_706L,
                        "block1[6, 14, 14] block2[16, 5, 5] hidden1[120] embedding[84]"),
                org.junit.jupiter.params.provider.Arguments.of("lenet5", Map.of("width", 0.5), 15_738L,
                        "block1[3, 14, 14] block2[8, 5, 5] hidden1[60] embedding[42]"),
                org.junit.jupiter.params.provider.Arguments.of("mlp", Map.of(), 235_146L, "hidden1[256] embedding[128]"),
                org.junit.jupiter.params.provider.Arguments.of("resnet", Map.of(), 78_426L,
                        "block1[16, 28, 28] block2[32, 14, 14] block3[64, 7, 7] embedding[64]"),
                org.junit.jupiter.params.provider.Arguments.of("mobilenet", Map.of(), -1L,
                        "block1[64, 14, 14] block2[128, 7, 7] block3[256, 4, 4] embedding[256]"));
    }

    /** Parameter counts computed by hand (batch norm holds 4 values per channel: gamma, beta, mean, variance). */
    @ParameterizedTest
    @MethodSource("documentedShapes")
    void architecturesHaveTheDocumentedTapsAndParameterCounts(String name, Map<String, ?> params, long numParams,
                                                              String taps) {
        ZooModel m = ModelZoo.build(name, params, SPEC, 10, 1L, OutputHead.softmaxCrossEntropy());
        assertEquals(taps, String.join(" ", m.taps().stream().map(Tap::toString).toList()));
        if (numParams > 0) {
            assertEquals(numParams, m.init().numParams());
        }
    }

    @Test
    void resnetRejectsADepthThatIsNotSixNPlusTwo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelZoo.build("resnet", Map.of("depth", 10), SPEC, 10, 1L, OutputHead.softmaxCrossEntropy()));
        assertTrue(e.getMessage().contains("'depth'"), e.getMessage());
    }

    @Test
    void studentIsAtLeastTenTimesSmallerThanTheTeacher() {
        long teacher = ModelZoo.build("cnn", Map.of(), SPEC, 10, 1L, OutputHead.softmaxCrossEntropy()).init().numParams();
        long student = ModelZoo.build("cnn-small", Map.of(), SPEC, 10, 1L, OutputHead.softmaxCrossEntropy()).init().numParams();
        assertTrue(teacher >= 10 * student, "teacher " + teacher + " vs student " + student);
    }

    @Test
    void sameSeedGivesSameWeightsAndOtherSeedDifferent() {
        INDArray a = ModelZoo.build("cnn-small", Map.of(), SPEC, 10, 3L, OutputHead.softmaxCrossEntropy()).init().params();
        INDArray b = ModelZoo.build("cnn-small", Map.of(), SPEC, 10, 3L, OutputHead.softmaxCrossEntropy()).init().params();
        INDArray c = ModelZoo.build("cnn-small", Map.of(), SPEC, 10, 4L, OutputHead.softmaxCrossEntropy()).init().params();
        assertEquals(a, b);
        assertTrue(!a.equals(c));
    }

    @Test
    void configurationSurvivesAJsonRoundTrip() {
        ZooModel m = ModelZoo.build("cnn", Map.of("learning_rate", 0.01, "lr_decay", 0.5, "l2", 1e-4), SPEC, 10, 1L,
                OutputHead.onLogits(new LossMSE()));
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(m.conf().toJson());
        assertEquals(m.conf(), back);
        assertEquals(m.conf().toJson(), back.toJson());
    }

    @Test
    void paramsAreTypedAndDefaulted() {
        ModelParams p = ModelParams.of(ModelZoo.architecture("cnn"), Map.of("channels", List.of(8L, 16L), "learning_rate", 1));
        assertEquals(List.of(8, 16), p.intList("channels"));
        assertEquals(1.0, p.real("learning_rate"));
        assertEquals(1.0, p.real("lr_decay"));
        assertNotNull(p.asMap().get("dropout"));
    }

    @Test
    void unknownParameterIsRejectedWithTheAllowedKeys() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelZoo.build("cnn", Map.of("widht", 2), SPEC, 10, 1L, OutputHead.softmaxCrossEntropy()));
        assertTrue(e.getMessage().contains("'widht'") && e.getMessage().contains("channels"), e.getMessage());
    }

    @Test
    void badValuesAreRejectedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelZoo.build("cnn", Map.of("channels", List.of(0)), SPEC, 10, 1L, OutputHead.softmaxCrossEntropy()));
        assertTrue(e.getMessage().contains("'channels'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ModelZoo.build("cnn", Map.of("weight_init", "zeros"), SPEC, 10, 1L, OutputHead.softmaxCrossEntropy()));
        assertTrue(e.getMessage().contains("'weight_init'") && e.getMessage().contains("xavier"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ModelZoo.build("cnn", Map.of("convs_per_block", 1.5), SPEC, 10, 1L, OutputHead.softmaxCrossEntropy()));
        assertTrue(e.getMessage().contains("'convs_per_block'"), e.getMessage());
    }

    @Test
    void unknownArchitectureIsRejectedWithTheKnownNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelZoo.build("vgg99", Map.of(), SPEC, 10, 1L, OutputHead.softmaxCrossEntropy()));
        assertTrue(e.getMessage().contains("cnn-small"), e.getMessage());
    }
}
