package org.kdspark.kd.experiments;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training throughput of a zoo model on random Fashion-MNIST-shaped batches: wall examples/s and examples per
 * CPU-second of this process (the machine is shared, so wall figures alone mislead). Not a test; run by hand:
 * {@code ThroughputBenchmark cnn batch=128 batches=20 channels=32,64}.
 */
public final class ThroughputBenchmark {

    public static void main(String[] args) {
        String arch = args[0];
        int batch = 128;
        int batches = 20;
        int warmup = 3;
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            switch (kv[0]) {
                case "batch" -> batch = Integer.parseInt(kv[1]);
                case "batches" -> batches = Integer.parseInt(kv[1]);
                case "warmup" -> warmup = Integer.parseInt(kv[1]);
                default -> params.put(kv[0], TeacherRecipeExperiment.parse(kv[1]));
            }
        }
        ComputationGraph net = ModelZoo.build(arch, params, InputSpec.FASHION_MNIST, 10, 1,
                OutputHead.softmaxCrossEntropy()).init();
        System.out.println("helpersAllowed=" + Nd4j.getEnvironment().helpersAllowed() + " helper="
                + ((org.deeplearning4j.nn.layers.convolution.ConvolutionLayer) net.getLayer("block1_conv1_conv")).getHelper()
                + " layer1=" + org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper.mklDnnEnabled());
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, batch, 1, 28, 28);
        INDArray y = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, batch, 10);
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, i % 10, 1f);
        }
        MultiDataSet ds = new MultiDataSet(x, y);
        for (int i = 0; i < warmup; i++) {
            net.fit(ds);
        }
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < batches; i++) {
            net.fit(ds);
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - c0) / 1e9;
        long n = (long) batch * batches;
        // inference
        long t1 = System.nanoTime();
        for (int i = 0; i < batches; i++) {
            net.output(false, x);
        }
        double inf = (System.nanoTime() - t1) / 1e9;
        System.out.printf("BENCH arch=%s params=%s batch=%d numParams=%d train_wall_ex_s=%.0f train_cpu_ex_s=%.0f "
                        + "cpu_per_wall=%.2f infer_wall_ex_s=%.0f load=%s%n", arch, params, batch, net.numParams(),
                n / wall, n / cpu, cpu / wall, n / inf, loadAvg());
    }

    static String loadAvg() {
        try {
            return new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg"))).trim().split(" ")[0];
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
