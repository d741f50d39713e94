package org.kdspark.kd.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import onnx.Onnx;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kdspark.kd.provenance.Hashes;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationGELU;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationThresholdedReLU;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Round trips DL4J -> ONNX -> ONNX Runtime on tiny random-weight networks: every supported layer kind and small
 * graphs combining them must match DL4J to 1e-4 with the same argmax (checked by {@link OnnxVerifier}).
 */
class OnnxExporterTest {

    private static final InputType IMAGE_3x8x8 = InputType.convolutional(8, 8, 3);
    private static final InputType IMAGE_2x7x7 = InputType.convolutional(7, 7, 2);

    @TempDir
    Path dir;

    /** Exports, verifies on a batch of 5, and returns the verification. */
    private OnnxVerification roundTrip(ComputationGraph graph, InputType type, String... taps) {
        Path file = dir.resolve("model.onnx");
        OnnxExporter.builder().inputType(type).taps(taps).build().export(graph, file);
        long[] shape = type instanceof InputType.InputTypeConvolutional c
                ? new long[] {5, c.getChannels(), c.getHeight(), c.getWidth()}
                : new long[] {5, ((InputType.InputTypeFeedForward) type).getSize()};
        INDArray x = TinyNets.input(3, shape);
        OnnxVerification v = new OnnxVerifier().verify(graph, file, x);
        assertTrue(v.maxAbsDiff() <= 1e-4, () -> "max abs diff " + v);
        assertDeclaredShapesMatchRuntime(file, x);
        return v;
    }

    /** Every graph output declares [N, ...] with the sizes ONNX Runtime actually produces (strict checkers care). */
    private static void assertDeclaredShapesMatchRuntime(Path file, INDArray x) {
        try (OnnxModel model = OnnxModel.open(file, 1)) {
            Onnx.ModelProto proto = Onnx.ModelProto.parseFrom(Files.readAllBytes(file));
            Map<String, INDArray> out = model.outputs(x, model.outputNames());
            for (Onnx.ValueInfoProto o : proto.getGraph().getOutputList()) {
                List<Onnx.TensorShapeProto.Dimension> dims = o.getType().getTensorType().getShape().getDimList();
                long[] actual = out.get(o.getName()).shape();
                assertEquals(actual.length, dims.size(), o.getName());
                assertEquals(OnnxGraphWriter.BATCH_DIM, dims.get(0).getDimParam(), o.getName());
                for (int i = 1; i < actual.length; i++) {
                    assertEquals(actual[i], dims.get(i).getDimValue(), o.getName() + " dim " + i);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static OutputLayer softmaxHead(int classes) {
        return new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes).activation(Activation.SOFTMAX)
                .build();
    }

    // ------------------------------------------------------------------ layers one by one

    static Stream<Arguments> convolutions() {
        return Stream.of(
                Arguments.of("truncate, pad 1, stride 2", new ConvolutionLayer.Builder(3, 3).nOut(4).stride(2, 2)
                        .padding(1, 1).convolutionMode(ConvolutionMode.Truncate).activation(Activation.RELU).build()),
                Arguments.of("truncate, dilation 2", new ConvolutionLayer.Builder(3, 3).nOut(4).dilation(2, 2)
                        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.TANH).build()),
                Arguments.of("same, 2x2 kernel: odd pad bottom/right", new ConvolutionLayer.Builder(2, 2).nOut(4)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build()),
                Arguments.of("same, 3x3 stride 2 on 7x7", new ConvolutionLayer.Builder(3, 3).nOut(4).stride(2, 2)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build()),
                Arguments.of("same, 4x4 kernel, stride 2", new ConvolutionLayer.Builder(4, 4).nOut(4).stride(2, 2)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build()),
                Arguments.of("no bias, default (sigmoid) activation", new ConvolutionLayer.Builder(3, 3).nOut(4)
                        .hasBias(false).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convolutions")
    void convolutionMatchesDl4j(String what, ConvolutionLayer conv) {
        roundTrip(TinyNets.chain(IMAGE_2x7x7, conv), IMAGE_2x7x7);
    }

    static Stream<Arguments> poolings() {
        return Stream.of(
                Arguments.of("max 2x2/2", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build()),
                Arguments.of("max 3x3/2 padded", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3)
                        .stride(2, 2).padding(1, 1).build()),
                Arguments.of("max same 3x3/2 (odd pad)", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3)
                        .stride(2, 2).convolutionMode(ConvolutionMode.Same).build()),
                Arguments.of("avg 2x2/1", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(1, 1)
                        .build()),
                Arguments.of("avg padded, pad excluded from divisor", new SubsamplingLayer.Builder(PoolingType.AVG)
                        .kernelSize(3, 3).stride(2, 2).padding(1, 1).avgPoolIncludePadInDivisor(false).build()),
                Arguments.of("avg padded, pad included in divisor", new SubsamplingLayer.Builder(PoolingType.AVG)
                        .kernelSize(3, 3).stride(2, 2).padding(1, 1).avgPoolIncludePadInDivisor(true).build()),
                Arguments.of("avg same 2x2/2 (odd pad)", new SubsamplingLayer.Builder(PoolingType.AVG)
                        .kernelSize(2, 2).stride(2, 2).convolutionMode(ConvolutionMode.Same).build()),
                Arguments.of("pnorm 2", new SubsamplingLayer.Builder(PoolingType.PNORM).pnorm(2).kernelSize(2, 2)
                        .stride(2, 2).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("poolings")
    void poolingMatchesDl4j(String what, SubsamplingLayer pool) {
        roundTrip(TinyNets.chain(IMAGE_2x7x7, pool), IMAGE_2x7x7);
    }

    static Stream<Arguments> batchNorms() {
        return Stream.of(
                Arguments.of("log10 stdev (default)", new BatchNormalization.Builder().build()),
                Arguments.of("log10 stdev, eps 0.1", new BatchNormalization.Builder().eps(0.1).build()),
                Arguments.of("plain variance, eps 0.1", new BatchNormalization.Builder().useLogStd(false).eps(0.1)
                        .build()),
                Arguments.of("locked gamma/beta", new BatchNormalization.Builder().lockGammaBeta(true).gamma(1.5)
                        .beta(-0.25).build()),
                Arguments.of("configured relu (which DL4J does not apply)", new BatchNormalization.Builder()
                        .activation(Activation.RELU).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("batchNorms")
    void batchNormalizationOnImagesMatchesDl4j(String what, BatchNormalization bn) {
        roundTrip(TinyNets.chain(IMAGE_2x7x7, bn), IMAGE_2x7x7);
    }

    @Test
    void batchNormalizationAfterDenseMatchesDl4j() {
        InputType ff = InputType.feedForward(6);
        roundTrip(TinyNets.chain(ff, new DenseLayer.Builder().nOut(5).build(),
                new BatchNormalization.Builder().eps(0.01).build()), ff);
    }

    static Stream<Arguments> activations() {
        return Stream.of(Activation.IDENTITY, Activation.RELU, Activation.RELU6, Activation.LEAKYRELU,
                        Activation.ELU, Activation.SELU, Activation.TANH, Activation.SIGMOID, Activation.HARDSIGMOID,
                        Activation.HARDTANH, Activation.SOFTPLUS, Activation.SOFTSIGN, Activation.SWISH,
                        Activation.CUBE, Activation.SOFTMAX)
                .map(a -> Arguments.of(a.name(), a.getActivationFunction()));
    }

    static Stream<Arguments> parameterisedActivations() {
        return Stream.of(Arguments.of("leakyrelu 0.3", new ActivationLReLU(0.3)),
                Arguments.of("elu 0.7", new ActivationELU(0.7)),
                Arguments.of("thresholded relu 0.2", new ActivationThresholdedReLU(0.2)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource({"activations", "parameterisedActivations"})
    void activationLayerMatchesDl4j(String name, IActivation activation) {
        InputType ff = InputType.feedForward(6);
        // scale the input to [-3, 3) so that saturating activations see both sides
        ComputationGraph g = TinyNets.chain(ff, new DenseLayer.Builder().nOut(5).activation(Activation.IDENTITY).build(),
                new ActivationLayer.Builder().activation(activation).build());
        Path file = dir.resolve("act.onnx");
        OnnxExporter.builder().inputType(ff).build().export(g, file);
        INDArray x = TinyNets.input(5, 9, 6).mul(6).sub(3);
        assertTrue(new OnnxVerifier().verify(g, file, x).maxAbsDiff() <= 1e-4);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void elementwiseActivationOnImagesMatchesDl4j(String name, IActivation activation) {
        if (name.equals("SOFTMAX")) {
            return; // softmax over images is refused (see unsupportedThingsAreNamed)
        }
        roundTrip(TinyNets.chain(IMAGE_2x7x7, new ConvolutionLayer.Builder(3, 3).nOut(3).activation(activation)
                .build()), IMAGE_2x7x7);
    }

    @Test
    void denseWithoutBiasAndOutputLayerMatchDl4j() {
        InputType ff = InputType.feedForward(6);
        roundTrip(TinyNets.chain(ff, new DenseLayer.Builder().nOut(5).hasBias(false).build(),
                new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3).activation(Activation.IDENTITY)
                        .hasBias(false).build()), ff);
    }

    static Stream<Arguments> globalPoolings() {
        return Stream.of(
                Arguments.of("avg", new GlobalPoolingLayer.Builder(PoolingType.AVG).build()),
                Arguments.of("max", new GlobalPoolingLayer.Builder(PoolingType.MAX).build()),
                Arguments.of("sum", new GlobalPoolingLayer.Builder(PoolingType.SUM).build()),
                Arguments.of("pnorm 2", new GlobalPoolingLayer.Builder(PoolingType.PNORM).pnorm(2).build()),
                Arguments.of("avg, not collapsed", new GlobalPoolingLayer.Builder(PoolingType.AVG)
                        .collapseDimensions(false).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("globalPoolings")
    void globalPoolingMatchesDl4j(String what, GlobalPoolingLayer pool) {
        roundTrip(TinyNets.chain(IMAGE_2x7x7, pool), IMAGE_2x7x7);
    }

    @Test
    void globalPoolingFeedsDenseSoftmax() {
        roundTrip(TinyNets.chain(IMAGE_3x8x8, new ConvolutionLayer.Builder(3, 3).nOut(5).activation(Activation.RELU)
                        .build(), new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), softmaxHead(4)),
                IMAGE_3x8x8);
    }

    static Stream<Arguments> depthwiseLayers() {
        return Stream.of(
                Arguments.of("separable, multiplier 2, same", new SeparableConvolution2D.Builder(3, 3).nOut(5)
                        .depthMultiplier(2).convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build()),
                Arguments.of("separable, stride 2, padded", new SeparableConvolution2D.Builder(3, 3).nOut(4)
                        .stride(2, 2).padding(1, 1).activation(Activation.IDENTITY).build()),
                Arguments.of("depthwise, multiplier 2, same", new DepthwiseConvolution2D.Builder(3, 3)
                        .depthMultiplier(2).convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build()),
                Arguments.of("depthwise, multiplier 1, stride 2", new DepthwiseConvolution2D.Builder(2, 2)
                        .depthMultiplier(1).stride(2, 2).activation(Activation.IDENTITY).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("depthwiseLayers")
    void depthwiseAndSeparableConvolutionMatchDl4j(String what, Layer layer) {
        roundTrip(TinyNets.chain(IMAGE_3x8x8, layer), IMAGE_3x8x8);
    }

    @Test
    void dropoutZeroPaddingAndLossLayerMatchDl4j() {
        roundTrip(TinyNets.chain(IMAGE_2x7x7,
                new ZeroPaddingLayer.Builder(1, 2, 0, 1).build(),
                new ConvolutionLayer.Builder(2, 2).nOut(3).activation(Activation.RELU).build(),
                new DropoutLayer.Builder(0.5).build(),
                new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build(),
                new LossLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).build()),
                IMAGE_2x7x7);
    }

    // ------------------------------------------------------------------ small graphs

    @Test
    void cnnWithLogitsTapMatchesDl4jIncludingTheTap() {
        ComputationGraph g = TinyNets.cnn(1, 12, 10);
        Path file = dir.resolve("cnn.onnx");
        OnnxExport export = OnnxExporter.builder().inputShape(1, 12, 12).taps("logits").build().export(g, file);
        assertEquals(List.of("out", "logits"), export.outputNames());

        INDArray x = TinyNets.input(1, 6, 1, 12, 12);
        OnnxVerification v = new OnnxVerifier().verify(g, file, x);
        assertEquals(List.of("out", "logits"), v.outputs().stream().map(OnnxVerification.OutputCheck::name).toList());
        assertEquals(0, v.outputs().get(0).argmaxMismatches());

        // the tap, read directly, is DL4J's activation of that vertex
        INDArray dl4jLogits = g.feedForward(x, false).get("logits");
        try (OnnxModel model = OnnxModel.open(file, 1)) {
            INDArray ortLogits = model.outputs(x, List.of("logits")).get("logits");
            assertEquals(0.0, dl4jLogits.sub(ortLogits).amaxNumber().doubleValue(), 1e-4);
        }
    }

    @Test
    void multiLayerNetworkCnnMatchesDl4j() {
        MultiLayerNetwork net = TinyNets.cnnMultiLayer(3, 9, 4);
        Path file = dir.resolve("mln.onnx");
        OnnxExport export = OnnxExporter.builder().inputShape(3, 9, 9).taps("layer5").build().export(net, file);
        assertEquals("input", export.inputName());
        assertEquals(List.of("layer6", "layer5"), export.outputNames());
        OnnxVerification v = new OnnxVerifier().verify(net, file, TinyNets.input(2, 5, 3, 9, 9));
        assertTrue(v.maxAbsDiff() <= 1e-4, v::toString);
    }

    @Test
    void residualAddMatchesDl4j() {
        ComputationGraphConfiguration conf = TinyNets.base().graphBuilder().addInputs("input")
                .addLayer("stem", new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), "input")
                .addLayer("a", new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build(), "stem")
                .addLayer("a_bn", new BatchNormalization.Builder().build(), "a")
                .addVertex("sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "a_bn", "stem")
                .addLayer("sum_relu", new ActivationLayer(Activation.RELU), "sum")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "sum_relu")
                .addLayer("out", softmaxHead(3), "gap")
                .setOutputs("out").setInputTypes(IMAGE_3x8x8).build();
        roundTrip(TinyNets.randomized(new ComputationGraph(conf)), IMAGE_3x8x8, "sum");
    }

    @Test
    void otherElementWiseOpsMatchDl4j() {
        ComputationGraphConfiguration conf = TinyNets.base().graphBuilder().addInputs("input")
                .addLayer("a", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "input")
                .addLayer("b", new DenseLayer.Builder().nOut(4).activation(Activation.SIGMOID).build(), "input")
                .addLayer("c", new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build(), "input")
                .addVertex("sum3", new ElementWiseVertex(ElementWiseVertex.Op.Add), "a", "b", "c")
                .addVertex("avg", new ElementWiseVertex(ElementWiseVertex.Op.Average), "a", "b", "c")
                .addVertex("prod", new ElementWiseVertex(ElementWiseVertex.Op.Product), "a", "b", "c")
                .addVertex("max", new ElementWiseVertex(ElementWiseVertex.Op.Max), "a", "b")
                .addVertex("diff", new ElementWiseVertex(ElementWiseVertex.Op.Subtract), "sum3", "avg")
                .addVertex("all", new MergeVertex(), "diff", "prod", "max")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
                        .activation(Activation.IDENTITY).build(), "all")
                .setOutputs("out").setInputTypes(InputType.feedForward(5)).build();
        roundTrip(TinyNets.randomized(new ComputationGraph(conf)), InputType.feedForward(5), "prod", "max");
    }

    @Test
    void channelConcatMatchesDl4j() {
        ComputationGraphConfiguration conf = TinyNets.base().graphBuilder().addInputs("input")
                .addLayer("b1", new ConvolutionLayer.Builder(1, 1).nOut(3).activation(Activation.RELU).build(), "input")
                .addLayer("b3", new ConvolutionLayer.Builder(3, 3).nOut(2).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), "input")
                .addLayer("bp", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(1, 1)
                        .convolutionMode(ConvolutionMode.Same).build(), "input")
                .addVertex("concat", new MergeVertex(), "b1", "b3", "bp")
                .addLayer("out", softmaxHead(5), "concat")
                .setOutputs("out").setInputTypes(IMAGE_3x8x8).build();
        roundTrip(TinyNets.randomized(new ComputationGraph(conf)), IMAGE_3x8x8, "concat");
    }

    @Test
    void depthwiseSeparableBlockMatchesDl4j() {
        ComputationGraphConfiguration conf = TinyNets.base().graphBuilder().addInputs("input")
                .addLayer("dw", new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(1).stride(2, 2)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(), "input")
                .addLayer("dw_bn", new BatchNormalization.Builder().build(), "dw")
                .addLayer("dw_relu", new ActivationLayer(Activation.RELU6), "dw_bn")
                .addLayer("pw", new ConvolutionLayer.Builder(1, 1).nOut(6).activation(Activation.IDENTITY).build(),
                        "dw_relu")
                .addLayer("pw_bn", new BatchNormalization.Builder().build(), "pw")
                .addLayer("pw_relu", new ActivationLayer(Activation.RELU6), "pw_bn")
                .addLayer("sep", new SeparableConvolution2D.Builder(3, 3).nOut(8).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), "pw_relu")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), "sep")
                .addLayer("out", softmaxHead(4), "gap")
                .setOutputs("out").setInputTypes(IMAGE_3x8x8).build();
        roundTrip(TinyNets.randomized(new ComputationGraph(conf)), IMAGE_3x8x8);
    }

    @Test
    void oddSizedSameModeCnnMatchesDl4j() {
        InputType odd = InputType.convolutional(9, 11, 1);
        roundTrip(TinyNets.chain(odd,
                new ConvolutionLayer.Builder(4, 4).nOut(3).stride(2, 2).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(),
                new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .convolutionMode(ConvolutionMode.Same).build(),
                softmaxHead(3)), odd);
    }

    // ------------------------------------------------------------------ batch, metadata, refusals

    @Test
    void oneFileServesBatchOneAndBatchSeven() {
        ComputationGraph g = TinyNets.cnn(1, 12, 10);
        Path file = dir.resolve("dyn.onnx");
        OnnxExporter.builder().inputShape(1, 12, 12).build().export(g, file);
        OnnxVerifier verifier = new OnnxVerifier();
        assertEquals(1, verifier.verify(g, file, TinyNets.input(8, 1, 1, 12, 12)).batchSize());
        assertEquals(7, verifier.verify(g, file, TinyNets.input(9, 7, 1, 12, 12)).batchSize());
        try (OnnxModel model = OnnxModel.open(file, 1)) {
            assertArrayEquals(new long[] {7, 10}, model.output(TinyNets.input(9, 7, 1, 12, 12)).shape());
            assertArrayEquals(new long[] {1, 10}, model.output(TinyNets.input(8, 1, 1, 12, 12)).shape());
        }
    }

    @Test
    void provenanceIsInTheModelMetadata() {
        ComputationGraph g = TinyNets.cnn(1, 12, 10);
        Path file = dir.resolve("meta.onnx");
        OnnxExport export = OnnxExporter.builder().inputShape(1, 12, 12).taps("logits")
                .metadata(Map.of("source.sha256", "abc123", "code.version", "0.1.0-test")).build().export(g, file);
        try (OnnxModel model = OnnxModel.open(file, 1)) {
            Map<String, String> meta = model.metadata();
            assertEquals("abc123", meta.get("source.sha256"));
            assertEquals("0.1.0-test", meta.get("code.version"));
            assertEquals(OnnxExporter.METADATA_SCHEMA, meta.get("kd.schema"));
            assertEquals("ComputationGraph", meta.get("kd.source.kind"));
            assertEquals("input [N,1,12,12]", meta.get("kd.input"));
            assertEquals("out", meta.get("kd.outputs"));
            assertEquals("logits", meta.get("kd.taps"));
            assertEquals("1.0.0-M2.1", meta.get("kd.dl4j.version"));
            assertEquals(meta, export.metadata());
        }
        assertEquals(64, export.sha256().length());
        // deterministic: the same network and options give the same bytes
        byte[] again = OnnxExporter.builder().inputShape(1, 12, 12).taps("logits")
                .metadata(Map.of("source.sha256", "abc123", "code.version", "0.1.0-test")).build().toBytes(g);
        assertEquals(export.sha256(), Hashes.sha256(again));
    }

    @Test
    void callerCannotOverwriteTheExportersOwnMetadata() {
        ComputationGraph g = TinyNets.cnn(1, 12, 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.builder()
                .inputShape(1, 12, 12).metadata("kd.schema", "mine").build().toBytes(g));
        assertTrue(e.getMessage().contains("kd.schema"), e.getMessage());
    }

    @Test
    void unsupportedLayerIsNamedWithItsClassAndTheSupportedList() {
        ComputationGraphConfiguration conf = TinyNets.base().graphBuilder().addInputs("input")
                .addLayer("encoder", new LSTM.Builder().nOut(4).build(), "input")
                .addLayer("out", new org.deeplearning4j.nn.conf.layers.RnnOutputLayer.Builder().nOut(2)
                        .activation(Activation.SOFTMAX).build(), "encoder")
                .setOutputs("out").setInputTypes(InputType.recurrent(3, 5)).build();
        ComputationGraph g = TinyNets.randomized(new ComputationGraph(conf));
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> OnnxExporter.builder()
                .inputType(InputType.recurrent(3, 5)).build().toBytes(g));
        assertTrue(e.getMessage().contains("'encoder' (LSTM)"), e.getMessage());
        assertTrue(e.getMessage().contains("Supported layers: ConvolutionLayer"), e.getMessage());
    }

    @Test
    void unsupportedActivationAndSoftmaxOverImagesAreNamed() {
        ComputationGraph gelu = TinyNets.chain(IMAGE_2x7x7, new ConvolutionLayer.Builder(3, 3).nOut(3)
                .activation(new ActivationGELU()).build());
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> OnnxExporter.builder().inputType(IMAGE_2x7x7).build().toBytes(gelu));
        assertTrue(e.getMessage().contains("'out' (ConvolutionLayer)") && e.getMessage().contains("ActivationGELU"),
                e.getMessage());

        ComputationGraph softmax = TinyNets.chain(IMAGE_2x7x7, new ActivationLayer(Activation.SOFTMAX));
        e = assertThrows(UnsupportedModelException.class,
                () -> OnnxExporter.builder().inputType(IMAGE_2x7x7).build().toBytes(softmax));
        assertTrue(e.getMessage().contains("softmax on rank-4"), e.getMessage());
    }

    @Test
    void unknownTapIsRefusedWithTheVertexList() {
        ComputationGraph g = TinyNets.cnn(1, 12, 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.builder().inputShape(1, 12, 12).taps("fc7").build().toBytes(g));
        assertTrue(e.getMessage().contains("'fc7'") && e.getMessage().contains("logits"), e.getMessage());
    }
}
