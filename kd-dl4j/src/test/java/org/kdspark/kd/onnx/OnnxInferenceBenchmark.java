package org.kdspark.kd.onnx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.eval.Throughput;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * DL4J {@code output()} against ONNX Runtime on the same exported model, same JVM, same inputs: images/s at batch 1
 * and 256 for a small Fashion-MNIST-sized CNN (conv16-BN-ReLU-pool-conv32-GAP-dense-softmax, random weights).
 * Not a test; run by hand:
 *
 * <pre>
 * ./mvnw -o -q -pl kd-dl4j test-compile dependency:build-classpath -Dmdep.outputFile=target/test.cp
 * java -cp kd-dl4j/target/test-classes:kd-dl4j/target/classes:$(cat kd-dl4j/target/test.cp) \
 *     org.kdspark.kd.onnx.OnnxInferenceBenchmark [secondsPerCase=5] [ortThreads=2]
 * </pre>
 *
 * <p>ND4J's threads follow {@code OMP_NUM_THREADS}; ONNX Runtime's are the second argument. Report the machine's
 * load with the figures: on a shared machine they move with it.
 */
public final class OnnxInferenceBenchmark {

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        int ortThreads = args.length > 1 ? Integer.parseInt(args[1]) : 2;

        ComputationGraph graph = smallCnn();
        Path file = Files.createTempFile("kd-bench", ".onnx");
        OnnxExporter.builder().inputShape(1, 28, 28).build().export(graph, file);
        new OnnxVerifier().verify(graph, file, TinyNets.input(1, 64, 1, 28, 28));

        System.out.printf(Locale.ROOT, "# params=%d onnxBytes=%d OMP_NUM_THREADS=%s OPENBLAS_CORETYPE=%s ortThreads=%d "
                        + "cores=%d load=%s%n", graph.numParams(), Files.size(file), System.getenv("OMP_NUM_THREADS"),
                System.getenv("OPENBLAS_CORETYPE"), ortThreads, Runtime.getRuntime().availableProcessors(),
                Files.readString(Path.of("/proc/loadavg")).trim());
        try (OnnxModel model = OnnxModel.open(file, ortThreads)) {
            for (int batch : new int[] {1, 256}) {
                INDArray x = TinyNets.input(batch, batch, 1, 28, 28);
                double dl4j = Throughput.imagesPerSecond(() -> graph.outputSingle(false, x), batch, seconds);
                double ort = Throughput.imagesPerSecond(() -> model.output(x), batch, seconds);
                System.out.printf(Locale.ROOT, "batch=%d dl4j_images_per_s=%.0f onnxruntime_images_per_s=%.0f "
                        + "ratio=%.1f%n", batch, dl4j, ort, ort / dl4j);
            }
        }
        Files.deleteIfExists(file);
    }

    /** conv16-BN-ReLU-pool-conv32-GAP-dense-softmax on 1x28x28: a small CNN of the size the students have. */
    static ComputationGraph smallCnn() {
        ComputationGraphConfiguration conf = TinyNets.base().graphBuilder().addInputs("input")
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(16).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build(), "input")
                .addLayer("bn1", new BatchNormalization.Builder().build(), "conv1")
                .addLayer("relu1", new ActivationLayer(Activation.RELU), "bn1")
                .addLayer("pool1", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(),
                        "relu1")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(32).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), "pool1")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv2")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").setInputTypes(InputType.convolutional(28, 28, 1)).build();
        return TinyNets.randomized(new ComputationGraph(conf));
    }
}
