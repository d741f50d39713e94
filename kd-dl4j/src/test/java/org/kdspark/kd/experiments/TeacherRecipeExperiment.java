package org.kdspark.kd.experiments;

import java.io.FileInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.data.IdxReader;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.eval.Metrics;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.train.BatchAugmenter;
import org.kdspark.kd.train.LabelSource;
import org.kdspark.kd.train.LocalTrainer;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;
import org.kdspark.kd.zoo.ZooModel;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures a training recipe on full Fashion-MNIST: per-epoch loss, examples/s, wall time and test accuracy.
 * Not a test; run by hand (docs/performance.md, "Teacher recipe", has a measured run):
 * <pre>
 * java -cp ... org.kdspark.kd.experiments.TeacherRecipeExperiment cnn epochs=5 batch=128 seed=1 \
 *     learning_rate=0.002 channels=32,64
 * </pre>
 * Keys {@code epochs batch seed limit shift flip evalEvery} belong to the run; every other key is a model param.
 */
public final class TeacherRecipeExperiment {

    static final String DIR = "/usr/share/datasets/fashion-mnist/";

    public static void main(String[] args) throws IOException {
        String arch = args[0];
        Map<String, String> run = new LinkedHashMap<>(Map.of("epochs", "5", "batch", "128", "seed", "1", "limit", "0",
                "shift", "0", "flip", "false", "evalEvery", "1", "save", ""));
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            if (run.containsKey(kv[0])) {
                run.put(kv[0], kv[1]);
            } else {
                params.put(kv[0], parse(kv[1]));
            }
        }
        int epochs = Integer.parseInt(run.get("epochs"));
        int batch = Integer.parseInt(run.get("batch"));
        long seed = Long.parseLong(run.get("seed"));
        int shift = Integer.parseInt(run.get("shift"));
        boolean flip = Boolean.parseBoolean(run.get("flip"));
        int evalEvery = Integer.parseInt(run.get("evalEvery"));
        LabeledImages train = load("train", Integer.parseInt(run.get("limit")));
        LabeledImages test = load("t10k", 0);
        ZooModel model = ModelZoo.build(arch, params, train.spec(), 10, seed, OutputHead.softmaxCrossEntropy());
        ComputationGraph net = model.init();
        System.out.printf("RUN arch=%s params=%s run=%s numParams=%d backend=%s OPENBLAS_CORETYPE=%s threads=%s%n", arch,
                model.params().asMap(), run, net.numParams(), Nd4j.getExecutioner().getEnvironmentInformation().get("blas.vendor"),
                System.getenv("OPENBLAS_CORETYPE"), System.getenv("OMP_NUM_THREADS"));
        System.out.println("taps " + model.taps());
        BatchAugmenter aug = shift > 0 || flip ? BatchAugmenter.shiftAndFlip(shift, flip) : BatchAugmenter.NONE;
        List<Double> accs = new ArrayList<>();
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long[] cpu = {os.getProcessCpuTime()};
        LocalTrainer.fit(net, train, LabelSource.oneHot(train, 10), new LocalTrainer.Options(epochs, batch, seed, aug), s -> {
            String acc = "";
            if (s.epoch() % evalEvery == 0 || s.epoch() == epochs) {
                long t0 = System.nanoTime();
                double a = Metrics.accuracy(GraphOutputs.activations(net, test, GraphOutputs.LOGITS, 500), test.labels());
                accs.add(a);
                acc = String.format(" test acc %.4f (eval %.1f s)", a, (System.nanoTime() - t0) / 1e9);
            }
            long c = os.getProcessCpuTime();
            acc += String.format(" cpu %.1f s (%.0f ex/cpu-s) load %s", (c - cpu[0]) / 1e9, s.examples() / ((c - cpu[0]) / 1e9),
                    ThroughputBenchmark.loadAvg());
            cpu[0] = os.getProcessCpuTime();
            System.out.println(s + acc);
            System.out.flush();
        });
        if (!run.get("save").isEmpty()) {
            net.save(new java.io.File(run.get("save")), true);
        }
        System.out.printf("FINAL arch=%s params=%s run=%s test_acc=%.4f%n", arch, params, run, accs.get(accs.size() - 1));
    }

    static LabeledImages load(String split, int limit) throws IOException {
        String kind = split.equals("train") ? "train" : "t10k";
        return IdxReader.read(new FileInputStream(DIR + kind + "-images-idx3-ubyte.gz"),
                new FileInputStream(DIR + kind + "-labels-idx1-ubyte.gz"), limit);
    }

    static Object parse(String v) {
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        if (v.contains(",")) {
            List<Integer> l = new ArrayList<>();
            for (String s : v.split(",")) {
                l.add(Integer.parseInt(s));
            }
            return l;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e2) {
                return v;
            }
        }
    }
}
