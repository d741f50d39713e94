package org.kdspark.kd.experiments;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.eval.Metrics;
import org.kdspark.kd.loss.KnowledgeDistillationLoss;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.train.LabelSource;
import org.kdspark.kd.train.LocalTrainer;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;

/**
 * Hard-label baseline vs Hinton KD for one student architecture, same seed, epochs and data order, over several
 * seeds, from a saved teacher. Not a test; run by hand:
 * {@code StudentKdExperiment teacher=/tmp/t.zip arch=cnn-small epochs=3 seeds=1,2 T=4 alpha=0.3 [model params]}.
 */
public final class StudentKdExperiment {

    public static void main(String[] args) throws IOException {
        Map<String, String> run = new LinkedHashMap<>(Map.of("teacher", "", "arch", "cnn-small", "epochs", "3",
                "batch", "128", "seeds", "1", "T", "4", "alpha", "0.3", "limit", "0", "modes", "baseline,kd"));
        Map<String, Object> params = new LinkedHashMap<>();
        for (String a : args) {
            String[] kv = a.split("=", 2);
            if (run.containsKey(kv[0])) {
                run.put(kv[0], kv[1]);
            } else {
                params.put(kv[0], TeacherRecipeExperiment.parse(kv[1]));
            }
        }
        LabeledImages train = TeacherRecipeExperiment.load("train", Integer.parseInt(run.get("limit")));
        LabeledImages test = TeacherRecipeExperiment.load("t10k", 0);
        ComputationGraph teacher = ComputationGraph.load(new File(run.get("teacher")), false);
        long t0 = System.nanoTime();
        float[][] teacherLogits = rows(GraphOutputs.activations(teacher, train, GraphOutputs.LOGITS, 500), 10);
        double tInfer = (System.nanoTime() - t0) / 1e9;
        double teacherAcc = accuracy(teacher, test);
        System.out.printf("TEACHER test acc %.4f; train logits for %d images in %.1f s (%.0f img/s)%n", teacherAcc,
                train.count(), tInfer, train.count() / tInfer);
        int epochs = Integer.parseInt(run.get("epochs"));
        int batch = Integer.parseInt(run.get("batch"));
        double temperature = Double.parseDouble(run.get("T"));
        double alpha = Double.parseDouble(run.get("alpha"));
        List<String> results = new ArrayList<>();
        for (String seedText : run.get("seeds").split(",")) {
            long seed = Long.parseLong(seedText);
            for (String mode : run.get("modes").split(",")) {
                boolean kd = mode.equals("kd");
                ComputationGraph net = ModelZoo.build(run.get("arch"), params, train.spec(), 10, seed,
                        OutputHead.onLogits(new KnowledgeDistillationLoss(alpha, temperature))).init();
                LabelSource labels = kd ? LabelSource.oneHotAndTargets(train, 10, teacherLogits) : LabelSource.oneHot(train, 10);
                List<Double> accs = new ArrayList<>();
                List<Double> secs = new ArrayList<>();
                LocalTrainer.fit(net, train, labels, new LocalTrainer.Options(epochs, batch, seed), s -> {
                    double acc = accuracy(net, test);
                    accs.add(acc);
                    secs.add(s.seconds());
                    System.out.printf("%s seed=%d %s test acc %.4f%n", mode, seed, s, acc);
                    System.out.flush();
                });
                String line = String.format("RESULT arch=%s params=%s mode=%s seed=%d T=%s alpha=%s epochs=%d batch=%d "
                                + "numParams=%d accs=%s epoch_seconds=%s", run.get("arch"), params, mode, seed, temperature,
                        alpha, epochs, batch, net.numParams(), fmt(accs), fmt(secs));
                System.out.println(line);
                results.add(line);
            }
        }
        results.forEach(System.out::println);
    }

    static String fmt(List<Double> v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(v.get(i) < 1 ? "%.4f" : "%.1f", v.get(i)));
        }
        return sb.append(']').toString();
    }

    private static double accuracy(ComputationGraph net, LabeledImages test) {
        return Metrics.accuracy(GraphOutputs.activations(net, test, GraphOutputs.LOGITS, 500), test.labels());
    }

    private static float[][] rows(float[] flat, int width) {
        float[][] out = new float[flat.length / width][];
        for (int i = 0; i < out.length; i++) {
            out[i] = java.util.Arrays.copyOfRange(flat, i * width, (i + 1) * width);
        }
        return out;
    }
}
