package org.kdspark.jobs.distill;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.ConfigHash;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.evaluate.Evaluation;
import org.kdspark.jobs.models.Models;
import org.kdspark.jobs.pipeline.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.kd.method.Objective;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Provenance;
import org.kdspark.kd.train.PreciseBatchNorm;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import scala.Tuple2;

/**
 * Distributed distillation: trains the student on Spark with parameter averaging, from the image table and
 * the soft-label store, and evaluates it on the test split.
 *
 * <p>The student is trained on an {@link Objective}, a weighted sum of distillation terms (one loss head each);
 * the job reads exactly the store columns those terms need (the logits, feature taps) and checks, before any
 * Spark work, that the store holds them in shapes the student can use. With the objective {@code {ce: 1}} the
 * identical student (same architecture, seed, data order, epochs) learns from the hard labels alone: the
 * baseline KD is measured against. The data order of each epoch is a function of (seed, epoch) only, so every
 * run sees the same minibatches.
 */
public final class DistillJob {

    /** One epoch's figures. */
    public record Epoch(int epoch, double loss, double testAccuracy, Double validationAccuracy, double learningRate,
            double examplesPerSecond, double seconds) {
    }

    /** What a distill run produced. */
    public record Result(String name, String method, Evaluation.Scores scores, long params, double seconds,
            double trainSeconds, long trainExamples, List<Epoch> history, String model) {
    }

    private DistillJob() {
    }

    /** Trains and saves the KD student called {@code name} (e.g. "kd") with the config's student objective. */
    public static Result run(SparkSession spark, KdConfig config, RunLayout layout, String name) {
        return run(spark, config, layout, name, false);
    }

    /** As {@link #run(SparkSession, KdConfig, RunLayout, String)}; {@code resume} continues from the last checkpoint. */
    public static Result run(SparkSession spark, KdConfig config, RunLayout layout, String name, boolean resume) {
        return run(spark, config, layout, name, config.distill.method, config.studentObjective(), resume);
    }

    public static Result run(SparkSession spark, KdConfig config, RunLayout layout, String name, String method, Objective objective) {
        return run(spark, config, layout, name, method, objective, false);
    }

    /**
     * Trains and saves the student called {@code name} on {@code objective}, with the config's distill section
     * otherwise; {@code method} is the name the results carry (e.g. "none" for the baseline).
     */
    public static Result run(SparkSession spark, KdConfig config, RunLayout layout, String name, String method,
            Objective objective, boolean resume) {
        long start = System.nanoTime();
        KdConfig.Distill d = config.distill;
        try (TrainingData data = TrainingData.prepare(spark, layout, objective, d.validationFraction)) {
            data.signals().stream().filter(s -> s.encoding() instanceof org.kdspark.kd.codec.ColumnEncoding.TopK).findFirst()
                    .ifPresent(s -> System.out.printf(Locale.ROOT, "distill %s: teacher logits decoded from %s: the classes not kept share"
                            + " the teacher's remaining probability mass evenly (README \"Tensor encodings\")%n", name, s.encoding().configName()));
            HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
            Checkpoints checkpoints = new Checkpoints(files, layout.studentDir(name));
            Map<String, Object> trainingConfig = trainingConfig(config, method, objective, data.store(), data.imagesProvenance());
            String configHash = ConfigHash.ofValue(trainingConfig);
            Optional<Checkpoints.Checkpoint> restored = resume ? checkpoints.latest(configHash, trainingConfig) : Optional.empty();
            if (!resume) {
                checkpoints.clear();
            }
            ComputationGraph student = restored.map(Checkpoints.Checkpoint::network)
                    .orElseGet(() -> Models.student(d, data.spec(), data.numClasses(), objective, data.teacherShapes()));
            List<Epoch> history = new ArrayList<>(restored.map(c -> c.meta().history()).orElse(List.of()));
            int firstEpoch = restored.map(c -> c.meta().epoch() + 1).orElse(1);
            if (resume) {
                System.out.println(restored.isPresent()
                        ? String.format(Locale.ROOT, "distill %s: resuming after epoch %d from %s", name, firstEpoch - 1, checkpoints.dir())
                        : "distill " + name + ": no checkpoint under " + checkpoints.dir() + ", starting at epoch 1");
            }
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            int workers = d.workers > 0 ? d.workers : jsc.defaultParallelism();
            EpochTrainer trainer = EpochTrainer.create(d.trainer, jsc, student,
                    new EpochTrainer.Settings(workers, d.batchSizePerWorker, d.averagingFrequency, 2, d.seed, d.syncBatchNorm));
            MinibatchBuilder builder = data.builder(objective, d.batchSizePerWorker);
            LearningRateSchedule schedule = LearningRateSchedule.of(d);
            EarlyStopping early = new EarlyStopping(d.earlyStoppingPatience);
            ComputationGraph best = early.enabled() ? checkpoints.best().orElse(null) : null;
            long trainExamples = data.trainExamples();
            long trainStart = System.nanoTime();
            for (int epoch = firstEpoch; epoch <= d.epochs; epoch++) {
                if (early.shouldStop(history)) {
                    System.out.printf(Locale.ROOT, "distill %s: early stop before epoch %d: validation accuracy last improved at epoch %d%n",
                            name, epoch, early.bestEpoch(history));
                    break;
                }
                long t0 = System.nanoTime();
                double lr = schedule.rate(epoch);
                trainer.network().setLearningRate(lr);
                ComputationGraph before = trainer.network().clone();
                JavaRDD<MultiDataSet> batches = data.minibatches(d.seed, epoch, workers, builder);
                double loss = trainer.fitEpoch(batches, epoch);
                LossGuard.check(epoch, loss, trainer.network(), before, objective, batches);
                double seconds = (System.nanoTime() - t0) / 1e9;
                recomputeBatchNorm(trainer.network(), batches, d);
                double acc = Evaluation.evaluate(trainer.network(), data.test().images(), data.teacherTestLogits()).accuracy();
                Double val = data.validation() == null ? null
                        : Evaluation.evaluate(trainer.network(), data.validation(), null).accuracy();
                history.add(new Epoch(epoch, loss, acc, val, lr, trainExamples / seconds, seconds));
                if (early.enabled() && early.bestEpoch(history) == epoch) {
                    best = trainer.network().clone();
                    checkpoints.writeBest(epoch, best);
                }
                checkpoints.write(new Checkpoints.Meta(epoch, d.seed, configHash, trainingConfig, history), trainer.network());
                double elapsed = (System.nanoTime() - trainStart) / 1e9;
                int done = epoch - firstEpoch + 1;
                System.out.printf(Locale.ROOT, "distill %s: epoch %d/%d  loss %.4f  lr %.2e  %stest acc %.4f  %.0f ex/s  elapsed %s  ETA %s%n",
                        name, epoch, d.epochs, loss, lr, val == null ? "" : String.format(Locale.ROOT, "val acc %.4f  ", val), acc,
                        trainExamples / seconds, duration(elapsed), duration(elapsed / done * (d.epochs - epoch)));
            }
            double trainSeconds = (System.nanoTime() - trainStart) / 1e9;
            ComputationGraph trained = best != null ? best : trainer.network();
            Evaluation.Scores scores = Evaluation.evaluate(trained, data.test().images(), data.teacherTestLogits());
            Provenance provenance = Provenance.of("student", 1, "distill")
                    .withEnvironment("spark", spark.version())
                    .withConfig(ConfigLoader.toMap(config))
                    .withInput("soft_labels", data.store().uri())
                    .withInput("teacher_sha256", data.store().teacherSha256())
                    .withInput("images", layout.images())
                    .withCount("train_examples", trainExamples)
                    .withCount("validation_examples", data.validation() == null ? 0 : data.validation().count())
                    .withCount("test_examples", data.test().images().count())
                    .withDetail("name", name)
                    .withDetail("method", method)
                    .withDetail("objective", objective.toString())
                    .withDetail("workers", workers)
                    .withDetail("test_accuracy", scores.accuracy())
                    .withDetail("epochs_trained", history.size())
                    .withDetail("kept_epoch", best != null ? early.bestEpoch(history) : history.size())
                    .withDetail("seconds", (System.nanoTime() - start) / 1e9)
                    .withDetail("train_seconds", trainSeconds)
                    .withDetail("examples_per_s", history.size() < firstEpoch ? 0.0 : trainExamples * (double) (history.size() - firstEpoch + 1) / trainSeconds)
                    .withDetail("history", historyMaps(history));
            files.writeBytes(layout.studentModel(name), ModelFiles.toZip(trained, provenance, false));
            files.writeString(layout.studentDir(name) + "/provenance.json", provenance.toJson());
            files.writeString(layout.studentDir(name) + "/history.json", toJson(history));
            org.kdspark.jobs.onnx.OnnxModelExport.nextToStudent(files, layout.studentModel(name), trained, provenance, data.test().images());
            return new Result(name, method, scores, trained.numParams(), (System.nanoTime() - start) / 1e9, trainSeconds,
                    trainExamples, history, layout.studentModel(name));
        }
    }

    /**
     * Precise BN ({@code distill.precise_bn_examples}): the running statistics of {@code net}'s batch-norm layers from
     * the first minibatches of the epoch's first partition, with the weights as they are now.
     */
    public static void recomputeBatchNorm(ComputationGraph net, JavaRDD<MultiDataSet> batches, KdConfig.Distill d) {
        if (d.preciseBnExamples > 0 && PreciseBatchNorm.applies(net)) {
            int count = (d.preciseBnExamples + d.batchSizePerWorker - 1) / d.batchSizePerWorker;
            PreciseBatchNorm.recompute(net, batches.take(count).stream().map(b -> b.getFeatures(0)).toList());
        }
    }

    /**
     * What a checkpoint must match to be resumed: the distill section, the objective, the teacher's store version and
     * the image table.
     */
    private static Map<String, Object> trainingConfig(KdConfig config, String method, Objective objective, StoreVersion store,
            Provenance images) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("distill", ConfigLoader.toMap(config).get("distill"));
        c.put("method", method);
        c.put("objective", objective.toString());
        c.put("soft_labels", store.name());
        c.put("images_created_at", images.createdAt());
        return c;
    }

    /**
     * The minibatches of one epoch. Rows are keyed by a hash of (id, seed, epoch), dealt to {@code workers}
     * partitions by key and sorted by key inside each: the order depends on nothing but the seed and epoch.
     */
    static JavaRDD<MultiDataSet> minibatches(Dataset<Row> train, long seed, int epoch, int workers, MinibatchBuilder builder) {
        Column key = functions.xxhash64(functions.col(ImageTable.ID), functions.lit(seed), functions.lit(epoch)).as("k");
        List<Column> columns = new ArrayList<>(List.of(key));
        for (String c : train.columns()) {
            if (!c.equals(ImageTable.ID)) {
                columns.add(functions.col(c));
            }
        }
        return train.select(columns.toArray(Column[]::new))
                .toJavaRDD()
                .mapToPair(r -> {
                    Object[] values = new Object[r.size() - 1];
                    for (int i = 1; i < r.size(); i++) {
                        values[i - 1] = r.get(i);
                    }
                    return new Tuple2<>(r.getLong(0), (Row) RowFactory.create(values));
                })
                .repartitionAndSortWithinPartitions(new ModuloPartitioner(workers))
                .mapPartitions(builder);
    }

    /** Deals long keys to partitions by their value modulo the partition count: balanced and deterministic. */
    static final class ModuloPartitioner extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int partitions;

        ModuloPartitioner(int partitions) {
            this.partitions = partitions;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            return (int) Math.floorMod((Long) key, (long) partitions);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ModuloPartitioner m && m.partitions == partitions;
        }

        @Override
        public int hashCode() {
            return partitions;
        }
    }

    private static String toJson(List<Epoch> history) {
        try {
            return Provenance.json().writeValueAsString(historyMaps(history));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Map<String, Object>> historyMaps(List<Epoch> history) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Epoch e : history) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("epoch", e.epoch());
                m.put("loss", e.loss());
                m.put("test_accuracy", e.testAccuracy());
                if (e.validationAccuracy() != null) {
                    m.put("validation_accuracy", e.validationAccuracy());
                }
                m.put("learning_rate", e.learningRate());
                m.put("examples_per_s", e.examplesPerSecond());
                m.put("seconds", e.seconds());
                out.add(m);
            }
            return out;
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
    }
}
