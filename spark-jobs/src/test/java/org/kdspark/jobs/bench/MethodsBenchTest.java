package org.kdspark.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.config.TrainerKind;

class MethodsBenchTest {

    @Test
    void meanAndSampleStandardDeviationOverSeeds() {
        MethodsBench.Row row = new MethodsBench.Row("kd", "f", List.of(0.90, 0.91, 0.92), List.of(1.0, 1.0, 1.0));
        assertEquals(0.91, row.mean(), 1e-12);
        assertEquals(0.01, row.std(), 1e-12); // sqrt((0.0001 + 0 + 0.0001) / 2)
        assertEquals(0, new MethodsBench.Row("kd", "f", List.of(0.9), List.of(1.0)).std());
    }

    @Test
    void markdownGivesDeltasAgainstTheBaselineAndSaysWhichMethodsDidNotHelp() {
        List<MethodsBench.Row> rows = List.of(
                new MethodsBench.Row("none", "1*CE(y,softmax(s))", List.of(0.880, 0.882), List.of(10.0, 12.0)),
                new MethodsBench.Row("kd", "KL(p||q)", List.of(0.890, 0.892), List.of(11.0, 11.0)),
                new MethodsBench.Row("sp", "sp formula", List.of(0.875, 0.879), List.of(13.0, 13.0)));
        String md = MethodsBench.markdown(new MethodsBench.Result(0.923, List.of(0.923), 357_290, 26_866, List.of(1L, 2L), rows, KdConfig.defaults(), 754),
                "bin/kd bench methods --seeds 1,2");

        assertTrue(md.contains("| kd | `KL(p\\|\\|q)` | 89.10% ± 0.14 | +1.00 | 89.00, 89.20 | 11 s |"), md);
        assertTrue(md.contains("| sp | `sp formula` | 87.70% ± 0.28 | -0.40 |"), md);
        assertTrue(md.contains("Best: `kd`, +1.00 points"), md);
        assertTrue(md.contains("Not above it with these settings: sp."), md);
        assertTrue(md.contains("bin/kd bench methods --seeds 1,2"), md);
        assertTrue(md.contains("Teacher `cnn` (357,290 parameters): 92.30% test accuracy"), md);
        assertTrue(md.contains("KD temperature 4.0 and hard-label weight alpha 0.5"), md);
        assertTrue(md.contains("The benchmark took 13 min wall clock (6 training runs)."), md);
        // the default config: the all-reduce trainer, synchronized and precise batch norm
        assertTrue(md.contains("gradients summed over the workers every step (`allreduce`, synchronized batch norm)"), md);
        assertTrue(md.contains("batch-norm statistics recomputed from 8,192 training examples after each epoch"), md);

        KdConfig dl4j = KdConfig.defaults().withDistill(d -> d.withTrainer(TrainerKind.DL4J, d.averagingFrequency()).withPreciseBnExamples(0));
        String averaged = MethodsBench.markdown(new MethodsBench.Result(0.923, List.of(0.923), 357_290, 26_866, List.of(1L, 2L), rows, dl4j, 754), "cmd");
        assertTrue(averaged.contains("parameters averaged every 8 minibatches (`dl4j`)"), averaged);
        assertTrue(averaged.contains("DL4J's moving batch-norm averages"), averaged);
    }

    @Test
    void anEmptyListIsNotConfusedWithTheBaselineMethodNone() {
        List<MethodsBench.Row> rows = List.of(
                new MethodsBench.Row("none", "1*CE(y,softmax(s))", List.of(0.880), List.of(10.0)),
                new MethodsBench.Row("kd", "KL(p||q)", List.of(0.890), List.of(11.0)));
        String md = MethodsBench.markdown(new MethodsBench.Result(0.923, List.of(0.923), 357_290, 26_866, List.of(1L), rows, KdConfig.defaults(), 0),
                "bin/kd bench methods --methods kd --seeds 1");

        assertTrue(md.contains("Above the baseline: kd. Not above it with these settings: no method."), md);
    }

    @Test
    void anEnsembleTeacherIsDescribedWithEachMembersAccuracyAndTheSoftLabelsOwn() {
        KdConfig ensemble = KdConfig.defaults().withTeacher(t -> t.withEnsembleSeeds(List.of(43L)));
        List<MethodsBench.Row> rows = List.of(new MethodsBench.Row("none", "1*CE(y,softmax(s))", List.of(0.880), List.of(10.0)));
        String md = MethodsBench.markdown(new MethodsBench.Result(0.9312, List.of(0.926, 0.9252), 357_290, 26_866, List.of(1L), rows, ensemble, 0),
                "cmd");

        assertTrue(md.contains("Teacher: the ensemble (`mean_logits`) of 2 `cnn` teachers (357,290 parameters each) trained with seeds "
                + "[42, 43] (92.60%, 92.52%): 93.12% test accuracy."), md);
    }
}
