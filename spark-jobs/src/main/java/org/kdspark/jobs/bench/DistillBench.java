package org.kdspark.jobs.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.config.TrainerKind;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.models.Models;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.train.EpochTrainer;
import org.kdspark.jobs.train.MinibatchBuilder;
import org.kdspark.jobs.train.TrainingData;
import org.kdspark.jobs.trainteacher.TeacherJob;
import org.kdspark.kd.method.Objective;
import org.kdspark.kd.progress.Progress;
import org.kdspark.kd.train.LearningRateSchedule;
import org.kdspark.kd.train.PreciseBatchNorm;
import org.kdspark.kd.train.SyncBatchNorm;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The trainer benchmark: the config's KD student trains on the same data for the same epochs twice in one run, with
 * the Spark parameter-averaging trainer ({@code local[N]} or whatever master the session has) and with a plain
 * {@code ComputationGraph.fit} loop in this JVM, whose ND4J uses every core.
 *
 * <p>Spark's time is the whole epoch as the distill job spends it: dealing and sorting rows, building minibatches,
 * fitting, averaging. The plain loop's minibatches are built before its clock starts (the same rows, in one
 * partition): it is the strongest single-JVM baseline, data already in memory. Evaluation is outside both clocks.
 *
 * <p>The plain loop's default minibatch is the Spark run's global one, {@code workers * batch_size_per_worker}: what
 * one synchronous step of data-parallel training sees, and the comparison in which parameter averaging at frequency 1
 * would equal the plain loop. Other sizes (the per-worker batch, say, which takes {@code workers} times the steps per
 * epoch) are measured alongside with {@code localBatchSizes}. With {@code averagingFrequencies} the Spark trainer runs
 * once per frequency. The first of each list is the headline figure.
 */
public final class DistillBench {

    private static final Progress PROGRESS = Progress.of("bench distill");

    private DistillBench() {
    }

    /**
     * What to run: {@code epochs} each way; a Spark run per trainer ({@code distill.trainer} values) and averaging
     * frequency (all-reduce once, as frequency 1: it combines gradients every step); a plain-loop run per minibatch
     * size (empty: the Spark run's global batch); each once per seed (empty: {@code distill.seed}), the seed fixing the
     * student's initialisation and the data order. The first of each list is the headline; accuracies are means over
     * the seeds, speeds total examples over total seconds.
     */
    public record Options(int epochs, List<TrainerKind> trainers, List<Integer> averagingFrequencies, List<Integer> localBatchSizes, List<Long> seeds) {
    }

    public static Map<String, Object> run(SparkSession spark, KdConfig config, RunLayout layout, Options options) {
        int epochs = options.epochs();
        IngestJob.run(spark, config, layout);
        TeacherJob.run(spark, config, layout);
        SoftLabelJob.run(spark, config, layout);
        KdConfig.Distill d = config.distill();
        Objective objective = config.studentObjective();
        LearningRateSchedule schedule = d.schedule();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int workers = d.workers() > 0 ? d.workers() : jsc.defaultParallelism();
        List<Long> seeds = options.seeds().isEmpty() ? List.of(d.seed()) : options.seeds();
        List<Integer> batchSizes = options.localBatchSizes().isEmpty() ? List.of(workers * d.batchSizePerWorker()) : options.localBatchSizes();
        try (TrainingData data = TrainingData.prepare(spark, layout, objective, 0, workers, d.epochOrder())) {
            MinibatchBuilder builder = data.builder(objective, d.batchSizePerWorker());
            long examples = data.trainExamples() * epochs;
            Map<String, Run> sparkRuns = new LinkedHashMap<>();
            Map<String, Run> localRuns = new LinkedHashMap<>();
            // seed by seed, every configuration once: a drift in the machine's load spreads over all of them
            for (long seed : seeds) {
                KdConfig.Distill ds = d.withSeed(seed);
                for (TrainerKind kind : options.trainers()) {
                    // all-reduce steps together every minibatch, whatever the frequency: run once, as frequency 1
                    for (int frequency : kind == TrainerKind.ALLREDUCE ? List.of(1) : options.averagingFrequencies()) {
                        ComputationGraph student = Models.student(ds, data.spec(), data.numClasses(), objective, data.teacherShapes());
                        EpochTrainer trainer = EpochTrainer.create(kind, jsc, student,
                                new EpochTrainer.Settings(workers, d.batchSizePerWorker(), frequency, 2, seed, d.syncBatchNorm(), d.allreduce()));
                        long t0 = System.nanoTime();
                        for (int epoch = 1; epoch <= epochs; epoch++) {
                            trainer.network().setLearningRate(schedule.rate(epoch));
                            trainer.fitEpoch(data.minibatches(seed, epoch, workers, builder), epoch);
                        }
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        Run run = sparkRuns.computeIfAbsent(kind + "/" + frequency, k -> new Run());
                        double accuracy = finalAccuracy(trainer.network(), data, data.minibatches(seed, epochs, workers, builder), ds, run);
                        run.add(seconds, accuracy);
                        run.put("trainer", kind.toString());
                        run.put("averaging_frequency", frequency);
                        if (kind == TrainerKind.ALLREDUCE) {
                            run.put("sync_batch_norm", d.syncBatchNorm() && SyncBatchNorm.supported());
                        }
                        PROGRESS.line("seed %d, spark %s trainer (averaging every %d) %.0f ex/s, test accuracy %.4f",
                                seed, kind, frequency, examples / seconds, accuracy);
                    }
                }
                for (int batchSize : batchSizes) {
                    MinibatchBuilder localBuilder = data.builder(objective, batchSize);
                    ComputationGraph local = Models.student(ds, data.spec(), data.numClasses(), objective, data.teacherShapes());
                    double seconds = 0;
                    double prepareSeconds = 0;
                    for (int epoch = 1; epoch <= epochs; epoch++) {
                        long p0 = System.nanoTime();
                        List<MultiDataSet> batches = data.minibatches(seed, epoch, 1, localBuilder).collect();
                        prepareSeconds += (System.nanoTime() - p0) / 1e9;
                        local.setLearningRate(schedule.rate(epoch));
                        long t0 = System.nanoTime();
                        for (MultiDataSet batch : batches) {
                            local.fit(batch);
                        }
                        seconds += (System.nanoTime() - t0) / 1e9;
                    }
                    Run run = localRuns.computeIfAbsent("b" + batchSize, k -> new Run());
                    // precise BN from the same minibatches as the Spark run's
                    double accuracy = finalAccuracy(local, data, data.minibatches(seed, epochs, workers, builder), ds, run);
                    run.add(seconds, accuracy);
                    run.put("batch_size", batchSize);
                    run.put("params", local.numParams());
                    run.put("nd4j_threads", Nd4j.getEnvironment().maxMasterThreads() + " loops, " + Nd4j.factory().blas().getMaxThreads() + " blas");
                    run.put("minibatch_prepare_seconds", prepareSeconds + (Double) run.getOrDefault("minibatch_prepare_seconds", 0.0));
                    PROGRESS.line("seed %d, plain fit (batch %d) %.0f ex/s, test accuracy %.4f", seed, batchSize,
                            examples / seconds, accuracy);
                }
            }

            List<Map<String, Object>> sparkFigures = sparkRuns.values().stream().map(r -> r.figures(examples)).toList();
            List<Map<String, Object>> localFigures = localRuns.values().stream().map(r -> r.figures(examples)).toList();
            Map<String, Object> head = sparkFigures.get(0);
            Map<String, Object> localHead = localFigures.get(0);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("spark_examples_per_s", head.get("examples_per_s"));
            out.put("local_examples_per_s", localHead.get("examples_per_s"));
            out.put("ratio", (Double) head.get("examples_per_s") / (Double) localHead.get("examples_per_s"));
            out.put("spark_accuracy", head.get("accuracy"));
            out.put("local_accuracy", localHead.get("accuracy"));
            out.put("trainer", head.get("trainer"));
            out.put("averaging_frequency", head.get("averaging_frequency"));
            out.put("local_batch_size", localHead.get("batch_size"));
            out.put("seeds", seeds);
            out.put("spark_runs", sparkFigures);
            out.put("local_runs", localFigures);
            out.put("epochs", epochs);
            out.put("train_examples", data.trainExamples());
            out.put("workers", workers);
            out.put("master", spark.sparkContext().master());
            out.put("batch_size_per_worker", d.batchSizePerWorker());
            out.put("student", d.student());
            out.put("student_params", localHead.get("params"));
            out.put("objective", objective.toString());
            out.put("cores", Runtime.getRuntime().availableProcessors());
            return out;
        }
    }

    /**
     * The trained student's test accuracy as the distill job keeps it: after precise BN from {@code bnBatches}
     * ({@code distill.precise_bn_examples}); the accuracy with DL4J's moving averages goes to {@code run}.
     */
    private static double finalAccuracy(ComputationGraph net, TrainingData data, JavaRDD<MultiDataSet> bnBatches, KdConfig.Distill d, Run run) {
        run.movingAverageAccuracies.add(data.scoreTest(net).accuracy());
        if (d.preciseBnExamples() > 0 && PreciseBatchNorm.applies(net)) {
            int count = (d.preciseBnExamples() + d.batchSizePerWorker() - 1) / d.batchSizePerWorker();
            PreciseBatchNorm.recompute(net, bnBatches.take(count).stream().map(b -> b.getFeatures(0)).toList());
        }
        return data.scoreTest(net).accuracy();
    }

    /** One configuration's runs over the seeds: its labels, then per seed the seconds and the test accuracy. */
    private static final class Run extends LinkedHashMap<String, Object> {
        private final List<Double> accuracies = new ArrayList<>();
        private final List<Double> movingAverageAccuracies = new ArrayList<>();
        private double seconds;

        void add(double runSeconds, double accuracy) {
            accuracies.add(accuracy);
            seconds += runSeconds;
        }

        Map<String, Object> figures(long examplesPerSeed) {
            Map<String, Object> r = new LinkedHashMap<>(this);
            r.put("seconds", seconds);
            r.put("examples_per_s", examplesPerSeed * accuracies.size() / seconds);
            r.put("accuracy", accuracies.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
            r.put("accuracies", List.copyOf(accuracies));
            r.put("moving_average_accuracy", movingAverageAccuracies.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
            r.put("moving_average_accuracies", List.copyOf(movingAverageAccuracies));
            return r;
        }
    }

    /** The figures as a Markdown table. */
    public static String markdown(Map<String, Object> r) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Student %s (%s params), %s, %s epoch(s) on %s examples, %s workers on %s, seeds %s%n%n", r.get("student"),
                r.get("student_params"), r.get("objective"), r.get("epochs"), r.get("train_examples"), r.get("workers"), r.get("master"), r.get("seeds")));
        md.append("| trainer | averaging frequency | examples/s | test accuracy, mean | per seed |\n|---|---:|---:|---:|---|\n");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> runs = (List<Map<String, Object>>) r.get("spark_runs");
        for (Map<String, Object> run : runs) {
            md.append(String.format(Locale.ROOT, "| Spark, %s trainer | %s | %.0f | %.2f%% | %s |%n", run.get("trainer"),
                    run.get("trainer").equals(TrainerKind.ALLREDUCE.toString()) ? "every step" : run.get("averaging_frequency"),
                    (Double) run.get("examples_per_s"), 100 * (Double) run.get("accuracy"), perSeed(run)));
        }
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> localRuns = (List<Map<String, Object>>) r.get("local_runs");
        for (Map<String, Object> run : localRuns) {
            md.append(String.format(Locale.ROOT, "| plain ComputationGraph.fit, one JVM, batch %s | - | %.0f | %.2f%% | %s |%n", run.get("batch_size"),
                    (Double) run.get("examples_per_s"), 100 * (Double) run.get("accuracy"), perSeed(run)));
        }
        md.append(String.format(Locale.ROOT, "%nratio (Spark %s trainer / plain at batch %s) %.3f; accuracy difference %+.2f points%n", r.get("trainer"), r.get("local_batch_size"),
                (Double) r.get("ratio"), 100 * ((Double) r.get("spark_accuracy") - (Double) r.get("local_accuracy"))));
        return md.toString();
    }

    private static String perSeed(Map<String, Object> run) {
        @SuppressWarnings("unchecked")
        List<Double> accuracies = (List<Double>) run.get("accuracies");
        return String.join(", ", accuracies.stream().map(a -> String.format(Locale.ROOT, "%.2f", 100 * a)).toList());
    }
}
