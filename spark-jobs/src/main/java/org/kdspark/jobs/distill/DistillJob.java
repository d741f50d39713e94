package org.kdspark.jobs.distill;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.models.Models;
import org.kdspark.jobs.onnx.OnnxModelExport;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.spark.ShuffleMeter;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.jobs.train.Checkpoints;
import org.kdspark.jobs.train.EpochTrainer;
import org.kdspark.jobs.train.MinibatchBuilder;
import org.kdspark.jobs.train.TrainingData;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.eval.ScoreSums;
import org.kdspark.kd.method.Methods;
import org.kdspark.kd.method.Objective;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.progress.Progress;
import org.kdspark.kd.provenance.Hashes;
import org.kdspark.kd.provenance.Provenance;
import org.kdspark.kd.train.EarlyStopping;
import org.kdspark.kd.train.EpochResult;
import org.kdspark.kd.train.StudentTrainer;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Distributed distillation: trains the student on Spark from the image table and the soft-label store, evaluates it
 * on the test split and saves it (DL4J zip and verified ONNX file) with provenance.
 *
 * <p>The student is trained on an {@link Objective}, a weighted sum of distillation terms (one loss head each); the job
 * reads exactly the store columns those terms need ({@link TrainingData}) and checks, before any Spark work, that the
 * store holds them in shapes the student can use. With the objective {@code {ce: 1}} the identical student (same
 * architecture, seed, data order, epochs) learns from the hard labels alone: the baseline KD is measured against. The
 * epoch loop is the library's {@link StudentTrainer}, each epoch one pass of the configured {@link EpochTrainer} over
 * minibatches whose order is a function of (seed, epoch) only; checkpoints and progress lines are its listeners.
 */
public final class DistillJob {

    /**
     * What a distill run produced; {@code shuffleBytesPerEpoch} is Spark's shuffle-write bytes while each epoch trained,
     * {@code pixelBytes} the bytes of the training pixels.
     */
    public record Result(String name, String method, ScoreSums scores, long params, double seconds,
            double trainSeconds, long trainExamples, List<EpochResult> history, String model, List<Long> shuffleBytesPerEpoch,
            long pixelBytes) {
    }

    private DistillJob() {
    }

    /** Trains and saves the KD student called {@code name} (e.g. "kd") with the config's student objective. */
    public static Result run(SparkSession spark, KdConfig config, RunLayout layout, String name) {
        return run(spark, config, layout, name, false);
    }

    /** As {@link #run(SparkSession, KdConfig, RunLayout, String)}; {@code resume} continues from the last checkpoint. */
    public static Result run(SparkSession spark, KdConfig config, RunLayout layout, String name, boolean resume) {
        return run(spark, config, layout, name, config.distill().method(), config.studentObjective(), resume);
    }

    public static Result run(SparkSession spark, KdConfig config, RunLayout layout, String name, String method, Objective objective) {
        return run(spark, config, layout, name, method, objective, false);
    }

    /** The student name the command line uses by default: {@code baseline} for the method {@code none}, else {@code kd}. */
    public static String defaultName(KdConfig config) {
        return config.distill().method().equals(Methods.BASELINE) && config.distill().objective().isEmpty() ? "baseline" : "kd";
    }

    /**
     * Trains and saves the student called {@code name} on {@code objective}, with the config's distill section
     * otherwise; {@code method} is the name the results carry (e.g. "none" for the baseline).
     */
    public static Result run(SparkSession spark, KdConfig config, RunLayout layout, String name, String method,
            Objective objective, boolean resume) {
        long start = System.nanoTime();
        KdConfig.Distill d = config.distill();
        Progress progress = Progress.of("distill " + name);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int workers = d.workers() > 0 ? d.workers() : jsc.defaultParallelism();
        try (TrainingData data = TrainingData.prepare(spark, layout, objective, d.validationFraction(), workers, d.epochOrder())) {
            data.signals().stream().filter(s -> s.encoding() instanceof ColumnEncoding.TopK).findFirst()
                    .ifPresent(s -> progress.line("teacher logits decoded from %s: the classes not kept share the teacher's remaining"
                            + " probability mass evenly (docs/store.md)", s.encoding().configName()));
            HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
            Checkpoints checkpoints = new Checkpoints(files, layout.studentDir(name));
            Map<String, Object> trainingConfig = trainingConfig(config, method, objective, data.store(), data.imagesProvenance());
            String configHash = Hashes.ofValue(trainingConfig);
            Optional<Checkpoints.Checkpoint> restored = resume ? checkpoints.latest(configHash, trainingConfig) : Optional.empty();
            if (!resume) {
                checkpoints.clear();
            }
            EarlyStopping early = new EarlyStopping(d.earlyStoppingPatience());
            StudentTrainer.Resume from = restored.map(c -> new StudentTrainer.Resume(c.meta().history(),
                    early.enabled() ? checkpoints.best().orElse(null) : null)).orElse(StudentTrainer.Resume.FRESH);
            if (resume) {
                progress.line(restored.isPresent() ? "resuming after epoch " + (from.firstEpoch() - 1) + " from " + checkpoints.dir()
                        : "no checkpoint under " + checkpoints.dir() + ", starting at epoch 1");
            }
            ComputationGraph student = restored.map(Checkpoints.Checkpoint::network)
                    .orElseGet(() -> Models.student(d, data.spec(), data.numClasses(), objective, data.teacherShapes()));
            EpochTrainer trainer = EpochTrainer.create(d.trainer(), jsc, student,
                    new EpochTrainer.Settings(workers, d.batchSizePerWorker(), d.averagingFrequency(), 2, d.seed(), d.syncBatchNorm(), d.allreduce())
                            .withMidEpochCheckpoints(checkpoints.dir() + "/mid-epoch", d.checkpointMinutes(), d.checkpointSteps()));
            long trainExamples = data.trainExamples();
            SparkEpochs epochs = new SparkEpochs(trainer, data, data.builder(objective, d.batchSizePerWorker()), d.seed(), workers);
            StudentTrainer.Result trained;
            try (ShuffleMeter meter = new ShuffleMeter(spark.sparkContext())) {
                epochs.meter = meter;
                trained = StudentTrainer.train(epochs, settings(d, objective, trainExamples), evaluator(data),
                        List.of(new CheckpointWriter(checkpoints, d.seed(), configHash, trainingConfig), new ProgressLines(progress, d.epochs())),
                        from);
            }
            long pixelBytes = trainExamples * data.spec().valuesPerImage();
            if (!epochs.shuffleBytes.isEmpty()) {
                long most = epochs.shuffleBytes.stream().mapToLong(Long::longValue).max().orElse(0);
                progress.line("epoch order %s: at most %,d shuffle bytes an epoch, %.2f%% of the %,d bytes of training pixels", d.epochOrder(),
                        most, 100.0 * most / Math.max(1, pixelBytes), pixelBytes);
            }
            ComputationGraph kept = trained.trained();
            ScoreSums scores = data.scoreTest(kept);
            Provenance provenance = Provenance.of("student", 1, "distill")
                    .withEnvironment("spark", spark.version())
                    .withConfig(ConfigLoader.toMap(config))
                    .withInput("soft_labels", data.store().uri())
                    .withInput("teacher_sha256", data.store().teacherSha256())
                    .withInput("images", layout.images())
                    .withCount("train_examples", trainExamples)
                    .withCount("validation_examples", data.validationExamples())
                    .withCount("test_examples", data.testExamples())
                    .withDetail("name", name)
                    .withDetail("input_spec", data.spec().toString())
                    .withDetail("method", method)
                    .withDetail("objective", objective.toString())
                    .withDetail("workers", workers)
                    .withDetail("epoch_order", d.epochOrder().toString())
                    .withDetail("shuffle_bytes_per_epoch", List.copyOf(epochs.shuffleBytes))
                    .withDetail("pixel_bytes", pixelBytes)
                    .withDetail("test_accuracy", scores.accuracy())
                    .withDetail("epochs_trained", trained.history().size())
                    .withDetail("kept_epoch", trained.keptEpoch())
                    .withDetail("seconds", (System.nanoTime() - start) / 1e9)
                    .withDetail("train_seconds", trained.trainSeconds())
                    .withDetail("examples_per_s", trained.epochsRun() == 0 ? 0.0 : trainExamples * (double) trained.epochsRun() / trained.trainSeconds())
                    .withDetail("history", historyMaps(trained.history()));
            files.writeBytes(layout.studentModel(name), ModelFiles.toZip(kept, provenance, false));
            files.writeString(layout.studentDir(name) + "/provenance.json", provenance.toJson());
            files.writeString(layout.studentDir(name) + "/history.json", toJson(trained.history()));
            OnnxModelExport.nextToStudent(files, layout.studentModel(name), kept, provenance, data.testSample());
            return new Result(name, method, scores, kept.numParams(), (System.nanoTime() - start) / 1e9, trained.trainSeconds(),
                    trainExamples, trained.history(), layout.studentModel(name), List.copyOf(epochs.shuffleBytes), pixelBytes);
        }
    }

    /** The library loop's settings from the distill section. */
    static StudentTrainer.Settings settings(KdConfig.Distill d, Objective objective, long examplesPerEpoch) {
        int preciseBnBatches = (d.preciseBnExamples() + d.batchSizePerWorker() - 1) / d.batchSizePerWorker();
        return new StudentTrainer.Settings(d.epochs(), d.schedule(), new EarlyStopping(d.earlyStoppingPatience()), preciseBnBatches,
                objective, examplesPerEpoch);
    }

    /** Test accuracy (against the teacher's logits too) and validation accuracy of each epoch's student. */
    static StudentTrainer.Evaluator evaluator(TrainingData data) {
        return new StudentTrainer.Evaluator() {
            @Override
            public double testAccuracy(ComputationGraph network) {
                return data.scoreTest(network).accuracy();
            }

            @Override
            public Double validationAccuracy(ComputationGraph network) {
                ScoreSums validation = data.scoreValidation(network);
                return validation == null ? null : validation.accuracy();
            }
        };
    }

    /** Each epoch one pass of the Spark trainer over that epoch's minibatches. */
    static final class SparkEpochs implements StudentTrainer.EpochRunner {
        private final EpochTrainer trainer;
        private final TrainingData data;
        private final MinibatchBuilder builder;
        private final long seed;
        private final int workers;
        private JavaRDD<MultiDataSet> batches;
        /** Counts the epochs' shuffle bytes when set. */
        ShuffleMeter meter;
        /** Shuffle bytes written while each epoch trained, in the order the epochs ran. */
        final List<Long> shuffleBytes = new java.util.ArrayList<>();

        SparkEpochs(EpochTrainer trainer, TrainingData data, MinibatchBuilder builder, long seed, int workers) {
            this.trainer = trainer;
            this.data = data;
            this.builder = builder;
            this.seed = seed;
            this.workers = workers;
        }

        @Override
        public ComputationGraph network() {
            return trainer.network();
        }

        @Override
        public double fitEpoch(int epoch) {
            long before = meter == null ? 0 : meter.bytes();
            batches = data.minibatches(seed, epoch, workers, builder);
            double loss = trainer.fitEpoch(batches, epoch);
            if (meter != null) {
                shuffleBytes.add(meter.bytes() - before);
            }
            return loss;
        }

        /** The first minibatches of the epoch's first partition (a Spark job over the epoch's order). */
        @Override
        public List<MultiDataSet> firstBatches(int epoch, int count) {
            return batches.take(count);
        }
    }

    /** Writes each epoch's checkpoint, and the best epoch's student under early stopping. */
    private record CheckpointWriter(Checkpoints checkpoints, long seed, String configHash, Map<String, Object> trainingConfig)
            implements StudentTrainer.Listener {
        @Override
        public void epochEnded(EpochResult result, List<EpochResult> history, ComputationGraph network, boolean best) {
            if (best) {
                checkpoints.writeBest(result.epoch(), network);
            }
            checkpoints.write(new Checkpoints.Meta(result.epoch(), seed, configHash, trainingConfig, history), network);
        }
    }

    /** One line per epoch: loss, rate, accuracies, speed, elapsed time and ETA. */
    private static final class ProgressLines implements StudentTrainer.Listener {
        private final Progress progress;
        private final int epochs;
        private final long start = System.nanoTime();
        private int done;

        ProgressLines(Progress progress, int epochs) {
            this.progress = progress;
            this.epochs = epochs;
        }

        @Override
        public void epochEnded(EpochResult e, List<EpochResult> history, ComputationGraph network, boolean best) {
            done++;
            double elapsed = (System.nanoTime() - start) / 1e9;
            progress.line("epoch %d/%d  loss %.4f  lr %.2e  %stest acc %.4f  %.0f ex/s  elapsed %s  ETA %s", e.epoch(), epochs, e.loss(),
                    e.learningRate(), e.validationAccuracy() == null ? "" : String.format(java.util.Locale.ROOT, "val acc %.4f  ",
                            e.validationAccuracy()), e.testAccuracy(), e.examplesPerSecond(), duration(elapsed),
                    duration(elapsed / done * (epochs - e.epoch())));
        }

        @Override
        public void stoppedEarly(int epoch, int bestEpoch) {
            progress.line("early stop before epoch %d: validation accuracy last improved at epoch %d", epoch, bestEpoch);
        }
    }

    /**
     * What a checkpoint must match to be resumed: the distill section, the objective, the teacher's store version and
     * the image table.
     */
    private static Map<String, Object> trainingConfig(KdConfig config, String method, Objective objective, StoreVersion store,
            Provenance images) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("distill", ConfigLoader.sectionMap(config, "distill"));
        c.put("method", method);
        c.put("objective", objective.toString());
        c.put("soft_labels", store.name());
        c.put("images_created_at", images.createdAt());
        return c;
    }

    private static String toJson(List<EpochResult> history) {
        try {
            return Provenance.json().writeValueAsString(historyMaps(history));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Map<String, Object>> historyMaps(List<EpochResult> history) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (EpochResult e : history) {
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
        return s >= 60 ? (s / 60) + "m" + String.format(java.util.Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
    }
}
