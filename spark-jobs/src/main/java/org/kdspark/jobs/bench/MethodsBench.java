package org.kdspark.jobs.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.distill.DistillJob;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.jobs.train.SparkScoring;
import org.kdspark.jobs.trainteacher.TeacherJob;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.method.Methods;
import org.kdspark.kd.progress.Progress;

/**
 * The methods benchmark: the baseline and each distillation method train the same student, for the same epochs
 * and, per seed, on the same data order, from one teacher's soft-label store; test accuracy is reported as mean
 * and standard deviation over the seeds. The image table, teacher and store are built (or reused) in the run
 * directory first, exactly as the pipeline does.
 */
public final class MethodsBench {

    /** One method's figures over the seeds. */
    public record Row(String method, String objective, List<Double> accuracies, List<Double> trainSeconds) {

        public double mean() {
            return accuracies.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }

        /** The sample standard deviation (n - 1); 0 for a single seed. */
        public double std() {
            int n = accuracies.size();
            if (n < 2) {
                return 0;
            }
            double m = mean();
            return Math.sqrt(accuracies.stream().mapToDouble(a -> (a - m) * (a - m)).sum() / (n - 1));
        }
    }

    /**
     * What a benchmark run measured. {@code teacherAccuracy} is that of the soft labels the students learn from (an
     * ensemble's combined logits); {@code memberAccuracies} each trained teacher's own, the run's teacher first and then
     * those of {@code teacher.ensemble_seeds}.
     */
    public record Result(double teacherAccuracy, List<Double> memberAccuracies, long teacherParams, long studentParams, List<Long> seeds,
            List<Row> rows, KdConfig config, double wallSeconds) {

        /** The baseline's row. */
        public Row baseline() {
            return rows.stream().filter(r -> r.method().equals(Methods.BASELINE)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("the benchmark has no baseline row"));
        }
    }

    private static final Progress PROGRESS = Progress.of("bench methods");

    private MethodsBench() {
    }

    /**
     * Runs the benchmark. {@code methods} are {@code distill.method} values; the baseline {@code none} is added
     * first when missing. Students are written under {@code OUTPUT/students/bench-METHOD-sSEED/}.
     */
    public static Result run(SparkSession spark, KdConfig config, RunLayout layout, List<String> methods, List<Long> seeds) {
        long start = System.nanoTime();
        List<String> all = new ArrayList<>();
        all.add(Methods.BASELINE);
        methods.stream().filter(m -> !m.equals(Methods.BASELINE)).forEach(all::add);
        for (String m : all) {
            try {
                config.objectiveFor(m); // fails before any work for an unknown method or a missing feature tap
            } catch (IllegalArgumentException e) {
                throw new UserInputException("--methods " + m + ": " + e.getMessage(), e);
            }
        }
        IngestJob.run(spark, config, layout);
        TeacherJob.Result teacher = TeacherJob.run(spark, config, layout);
        SoftLabelJob.run(spark, config, layout);
        List<Double> memberAccuracies = new ArrayList<>(List.of(teacher.accuracy()));
        teacher.members().forEach(m -> memberAccuracies.add(m.accuracy()));
        boolean ensemble = memberAccuracies.size() > 1 || !config.softLabels().ensembleTeachers().isEmpty();
        double teacherAccuracy = ensemble ? softLabelAccuracy(spark, layout) : teacher.accuracy();

        Map<String, List<Double>> accuracies = new LinkedHashMap<>();
        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        long studentParams = 0;
        for (long seed : seeds) {
            for (String method : all) {
                KdConfig c = config.withDistill(d -> d.withMethod(method).withSeed(seed));
                DistillJob.Result r = DistillJob.run(spark, c, layout, "bench-" + method + "-s" + seed);
                accuracies.computeIfAbsent(method, k -> new ArrayList<>()).add(r.scores().accuracy());
                seconds.computeIfAbsent(method, k -> new ArrayList<>()).add(r.trainSeconds());
                studentParams = r.params();
                // validation accuracy per epoch, when the config holds images out: what settings are chosen on
                String validation = r.history().stream().filter(e -> e.validationAccuracy() != null)
                        .map(e -> String.format(Locale.ROOT, "%.4f", e.validationAccuracy())).collect(Collectors.joining(" "));
                PROGRESS.line("seed %d  %-8s %stest accuracy %.4f  (%.0f s)", seed, method,
                        validation.isEmpty() ? "" : "validation accuracy by epoch " + validation + "  ", r.scores().accuracy(), r.trainSeconds());
            }
        }
        List<Row> rows = new ArrayList<>();
        for (String m : all) {
            rows.add(new Row(m, config.objectiveFor(m).toString(), accuracies.get(m), seconds.get(m)));
        }
        return new Result(teacherAccuracy, List.copyOf(memberAccuracies), teacher.params(), studentParams, List.copyOf(seeds), rows, config,
                (System.nanoTime() - start) / 1e9);
    }

    /** Test accuracy of the run's soft labels: the store's logits, an ensemble's combined ones. */
    public static double softLabelAccuracy(SparkSession spark, RunLayout layout) {
        StoreVersion store = SoftLabelStore.open(spark, layout.softLabels());
        ImageTable.Opened table = ImageTable.open(spark, layout.images());
        SoftLabelStore.Signal logits = store.signals().get(SoftLabelStore.LOGITS);
        Dataset<org.apache.spark.sql.Row> test = SparkScoring.rows(
                table.rows().filter(org.apache.spark.sql.functions.col(ImageTable.SPLIT).equalTo(ImageTable.TEST)), store.labelsFor(spark, table.rows()), logits);
        return SparkScoring.score(test, table.spec(), store.numClasses(), List.of(), logits).storedLogits().accuracy();
    }

    /** The result as Markdown: the table, the settings, and what did and did not help. */
    public static String markdown(Result r, String command) {
        KdConfig.Distill d = r.config().distill();
        Row base = r.baseline();
        StringBuilder md = new StringBuilder();
        md.append("# Distillation methods on Fashion-MNIST\n\n");
        md.append(String.format(Locale.ROOT, "%s: %.2f%% test accuracy. Student `%s`%s (%,d parameters), "
                + "%s, batch %d per worker, %s, learning rate %s (%s), %s, KD temperature %s and "
                + "hard-label weight alpha %s, %s, seeds %s; each seed fixes the initialisation and the data order, identical "
                + "for every method.%n%n", teacher(r), 100 * r.teacherAccuracy(), d.student(),
                d.studentParams().isEmpty() ? "" : " " + d.studentParams(), r.studentParams(),
                d.epochs() == 1 ? "1 epoch" : d.epochs() + " epochs", d.batchSizePerWorker(), trainer(d), d.learningRate(),
                schedule(d), d.preciseBnExamples() > 0 ? String.format(Locale.ROOT, "batch-norm statistics recomputed from %,d training "
                        + "examples after each epoch", d.preciseBnExamples()) : "DL4J's moving batch-norm averages", d.temperature(), d.alpha(),
                d.validationFraction() > 0 ? String.format(Locale.ROOT, "%.0f%% of the training images held out for validation",
                        100 * d.validationFraction()) : "trained on all training images", r.seeds()));
        md.append("| method | objective | test accuracy, mean ± std | vs baseline | per seed | train time per run |\n");
        md.append("|---|---|---:|---:|---|---:|\n");
        for (Row row : r.rows()) {
            // a pipe inside a code span still splits a Markdown table cell: escape the formulas' norms
            md.append(String.format(Locale.ROOT, "| %s | `%s` | %.2f%% ± %.2f | %s | %s | %.0f s |%n", row.method(),
                    row.objective().replace("|", "\\|"),
                    100 * row.mean(), 100 * row.std(),
                    row == base ? "-" : String.format(Locale.ROOT, "%+.2f", 100 * (row.mean() - base.mean())),
                    String.join(", ", row.accuracies().stream().map(a -> String.format(Locale.ROOT, "%.2f", 100 * a)).toList()),
                    row.trainSeconds().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN)));
        }
        List<String> helped = new ArrayList<>();
        List<String> notHelped = new ArrayList<>();
        for (Row row : r.rows()) {
            if (row != base) {
                (row.mean() > base.mean() ? helped : notHelped).add(row.method());
            }
        }
        Row best = r.rows().stream().filter(x -> x != base).max((a, b) -> Double.compare(a.mean(), b.mean())).orElse(base);
        md.append(String.format(Locale.ROOT, "%nBest: `%s`, %+.2f points over the baseline in mean test accuracy. ", best.method(),
                100 * (best.mean() - base.mean())));
        // "no method", not "none": none is the baseline's own name in the table
        md.append("Above the baseline: ").append(helped.isEmpty() ? "no method" : String.join(", ", helped)).append(". ");
        md.append("Not above it with these settings: ").append(notHelped.isEmpty() ? "no method" : String.join(", ", notHelped))
                .append(".\n\n");
        if (r.wallSeconds() > 0) {
            md.append(String.format(Locale.ROOT, "The benchmark took %.0f min wall clock (%d training runs).%n%n", r.wallSeconds() / 60,
                    r.rows().stream().mapToInt(x -> x.accuracies().size()).sum()));
        }
        md.append("The settings are the config's `teacher` and `distill` sections; its header comment says how they were chosen. Regenerate with:\n\n```bash\n")
                .append(command).append("\n```\n");
        return md.toString();
    }

    /** The teacher, or the ensemble of teachers, in words. */
    static String teacher(Result r) {
        KdConfig.Teacher t = r.config().teacher();
        List<String> supplied = r.config().softLabels().ensembleTeachers();
        if (r.memberAccuracies().size() == 1 && supplied.isEmpty()) {
            return String.format(Locale.ROOT, "Teacher `%s` (%,d parameters)", t.architecture(), r.teacherParams());
        }
        List<Long> seeds = new ArrayList<>(List.of(t.seed()));
        seeds.addAll(t.ensembleSeeds());
        String each = String.join(", ", r.memberAccuracies().stream().map(a -> String.format(Locale.ROOT, "%.2f%%", 100 * a)).toList());
        return String.format(Locale.ROOT, "Teacher: the ensemble (`%s`) of %d `%s` teachers (%,d parameters each) trained with seeds %s (%s)%s",
                r.config().softLabels().ensemble(), seeds.size(), t.architecture(), r.teacherParams(), seeds, each,
                supplied.isEmpty() ? "" : " and " + supplied.size() + " from soft_labels.ensemble_teachers");
    }

    /** How the workers trained together, in words. */
    private static String trainer(KdConfig.Distill d) {
        return switch (d.trainer()) {
            case ALLREDUCE -> "gradients summed over the workers every step (`allreduce`"
                    + (d.syncBatchNorm() ? ", synchronized batch norm)" : ")");
            default -> String.format(Locale.ROOT, "parameters averaged every %d minibatches (`%s`)", d.averagingFrequency(), d.trainer());
        };
    }

    private static String schedule(KdConfig.Distill d) {
        return switch (d.lrSchedule()) {
            case COSINE -> "cosine to " + d.minLearningRate();
            case STEP -> "times " + d.lrGamma() + " every " + d.lrStepEpochs() + " epochs";
            case CONSTANT -> d.lrSchedule().toString();
        };
    }
}
