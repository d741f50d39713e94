package org.kdspark.jobs.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kdspark.jobs.ChildJvm;
import org.kdspark.jobs.SparkJars;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.Tiers;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.config.TrainerKind;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.train.Checkpoints;
import org.kdspark.jobs.trainteacher.TeacherJob;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Provenance;
import org.kdspark.kd.train.EpochResult;
import org.kdspark.kd.train.LossGuard;

/**
 * The trainer's guarantees on a slice of Fashion-MNIST: the same seed gives the same student, a run killed midway
 * and resumed ends where an uninterrupted run ends, a checkpoint of another config is refused, and a NaN loss stops
 * the run naming the epoch and the term.
 */
@Tag(Tiers.SLOW)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResumeDeterminismAndGuardTest {

    private final SparkSession spark = TestSpark.session();
    private final HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
    @TempDir
    static Path dir;
    private RunLayout layout;

    @BeforeAll
    void storeFromAOneEpochTeacher() {
        layout = new RunLayout(dir.toUri().toString());
        KdConfig config = config();
        IngestJob.run(spark, config, layout);
        TeacherJob.run(spark, config, layout);
        SoftLabelJob.run(spark, config, layout);
    }

    /** The quick config on 1,200 training and 300 test images, three student epochs. */
    private KdConfig config(String... more) {
        List<String> overrides = new java.util.ArrayList<>(List.of("output=" + dir.toUri(), "dataset.train_limit=1200", "dataset.test_limit=300",
                "teacher.epochs=1", "distill.epochs=3", "distill.averaging_frequency=4", "spark.master=local[2]"));
        overrides.addAll(List.of(more));
        return ConfigLoader.load(TestSpark.repoRoot().resolve("conf/fashion-mnist-quick.yaml"), overrides);
    }

    private float[] params(String student) {
        return ModelFiles.graphFromZip(files.readBytes(layout.studentModel(student)), false).params().data().asFloat();
    }

    @Test
    void theSameSeedGivesTheSameStudentAndAKilledRunResumesToTheSameEnd() throws Exception {
        DistillJob.Result a = DistillJob.run(spark, config(), layout, "a");
        DistillJob.Result b = DistillJob.run(spark, config(), layout, "b");
        assertArrayEquals(params("a"), params("b"), "same seed, same master: same parameters");
        assertEquals(a.scores().accuracy(), b.scores().accuracy());

        Path yaml = dir.resolve("distill.yaml");
        Files.writeString(yaml, ConfigLoader.toYaml(config()));
        Path log = dir.resolve("killed.log");
        int exit = ChildJvm.await(ChildJvm.start(DistillKilledAfterFirstEpoch.class, List.of(yaml.toString(), dir.toString(), "resumed"), log), 600);
        assertEquals(DistillKilledAfterFirstEpoch.KILLED, exit, "the run should have been killed in epoch 2; its log:\n" + Files.readString(log));
        assertTrue(!files.exists(layout.studentModel("resumed")), "the killed run saved no model");

        DistillJob.Result resumed = DistillJob.run(spark, config(), layout, "resumed", true);
        assertEquals(List.of(1, 2, 3), resumed.history().stream().map(EpochResult::epoch).toList(), "epoch 1 restored, not repeated");
        assertEquals(a.history().get(0).loss(), resumed.history().get(0).loss(), "epoch 1's figures come from the checkpoint");
        assertEquals(a.scores().accuracy(), resumed.scores().accuracy(), "the final accuracy of the uninterrupted run");
        assertArrayEquals(params("a"), params("resumed"), "the final parameters of the uninterrupted run");
        assertEquals(Checkpoints.KEEP, files.directories(layout.studentDir("resumed") + "/checkpoints").size());

        // resuming a finished run repeats nothing; resuming under another config is refused, naming the difference
        DistillJob.Result again = DistillJob.run(spark, config(), layout, "resumed", true);
        assertEquals(resumed.scores().accuracy(), again.scores().accuracy());
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> DistillJob.run(spark, config("distill.learning_rate=0.01"), layout, "resumed", true));
        assertTrue(other.getMessage().contains("another config") && other.getMessage().contains("learning_rate=0.01")
                && other.getMessage().contains("without --resume"), other.getMessage());
    }

    @Test
    void trainingOnSeparateExecutorJvmsMatchesLocalMode() throws Exception {
        // the all-reduce trainer: its workers exchange gradients over TCP every step, here between two executor JVMs
        DistillJob.Result local = DistillJob.run(spark, config("distill.trainer=allreduce"), layout, "local");
        Path yaml = dir.resolve("cluster.yaml");
        Files.writeString(yaml, ConfigLoader.toYaml(config("distill.trainer=allreduce")));
        Path log = dir.resolve("local-cluster.log");
        Path sparkHome = SparkJars.home(dir.resolve("spark-home"));
        int exit = ChildJvm.await(ChildJvm.start(DistillOnLocalCluster.class, List.of(yaml.toString(), dir.toString(), "cluster"), log,
                java.util.Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_SCALA_VERSION", "2.12")), 600);
        String output = Files.readString(log);
        assertEquals(0, exit, "local-cluster run failed; its log:\n" + output);
        assertTrue(output.contains("executor JVMs: 2"), output);
        // the same minibatches, steps and sums in the same order, each task's operations on as many threads as an
        // executor's (TaskThreads): the same student to the bit
        assertArrayEquals(params("local"), params("cluster"), "local-cluster and local mode: the same parameters");
        DistillJob.Result cluster = DistillJob.run(spark, config("distill.trainer=allreduce"), layout, "cluster", true);
        assertEquals(local.scores().accuracy(), cluster.scores().accuracy());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"allreduce", "barrier"})
    void anExecutorLostMidEpochIsReplacedAndTheEpochResumesFromItsMidEpochCheckpointToTheSameStudent(String trainer) throws Exception {
        // small minibatches: 75 steps an epoch, a checkpoint every 5 (after a round of 4 for barrier: every 8), so the
        // kill lands well inside the epoch
        String[] settings = {"distill.trainer=" + trainer, "distill.batch_size_per_worker=8", "distill.checkpoint_steps=5"};
        String lost = "lost-executor-" + trainer;
        String uninterrupted = "uninterrupted-" + trainer;
        DistillJob.run(spark, config(settings), layout, uninterrupted);
        Path yaml = dir.resolve(lost + ".yaml");
        Files.writeString(yaml, ConfigLoader.toYaml(config(settings)));
        Path log = dir.resolve(lost + ".log");
        Path sparkHome = SparkJars.home(dir.resolve("spark-home"));
        Process child = ChildJvm.start(DistillOnLocalCluster.class, List.of(yaml.toString(), dir.toString(), lost), log,
                java.util.Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_SCALA_VERSION", "2.12"));
        Path state = dir.resolve("students/" + lost + "/checkpoints/mid-epoch/epoch-0002.state");
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (!Files.exists(state) && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertTrue(Files.exists(state), "no mid-epoch checkpoint of epoch 2 appeared; the run's log:\n" + Files.readString(log));
        // one executor JVM of the local cluster, killed as a lost machine would be
        ProcessHandle executor = child.toHandle().descendants()
                .filter(p -> commandLine(p).contains("CoarseGrainedExecutorBackend"))
                .findFirst().orElseThrow(() -> new AssertionError("no executor JVM under the local-cluster driver " + child.pid() + ": "
                        + child.toHandle().descendants().map(p -> p.pid() + " " + commandLine(p).substring(0, Math.min(200, commandLine(p).length())))
                                .toList()));
        assertTrue(executor.destroyForcibly(), "kill executor " + executor.pid());
        if (!child.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)) {
            child.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            child.destroyForcibly();
            throw new AssertionError("the run did not end within 300 s of the lost executor; its log:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        assertEquals(0, child.exitValue(), "the run did not survive the lost executor; its log:\n" + output);
        assertTrue(output.contains("epoch 2: its stage was rerun and resumed from the mid-epoch checkpoint after"), output);
        assertArrayEquals(params(uninterrupted), params(lost), trainer + ", an executor lost mid-epoch: the uninterrupted run's student");
    }

    /** The process's whole command line ({@code ProcessHandle.Info} cuts long ones: the executors' classpath is long). */
    private static String commandLine(ProcessHandle p) {
        try {
            return Files.readString(Path.of("/proc/" + p.pid() + "/cmdline")).replace('\0', ' ');
        } catch (java.io.IOException e) {
            return p.info().commandLine().orElse("");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theLocalEpochOrderShufflesNoPixelsWhileTheGlobalOneShufflesTheTrainingSetEveryEpoch() {
        long localMost = 0;
        for (String order : List.of("local", "global")) {
            DistillJob.Result r = DistillJob.run(spark, config("distill.epochs=2", "distill.epoch_order=" + order), layout, "order-" + order);
            assertTrue(r.scores().accuracy() > 0.5, order + ": " + r.scores().accuracy());
            java.util.Map<String, Object> d = Provenance.fromJson(files.readString(layout.studentDir("order-" + order) + "/provenance.json")).details();
            long pixels = ((Number) d.get("pixel_bytes")).longValue();
            List<Number> perEpoch = (List<Number>) d.get("shuffle_bytes_per_epoch");
            assertEquals(1200L * 28 * 28, pixels);
            assertEquals(2, perEpoch.size(), order);
            // what every epoch shuffles whatever the order: the two workers' final states (parameters and Adam's two
            // moments, as floats) on their way to the driver, the same for 1,200 images as for a million
            long states = 2L * 3 * Float.BYTES * r.params();
            for (Number bytes : perEpoch) {
                if (order.equals("local")) {
                    assertTrue(bytes.longValue() <= 1.1 * states + 32_768, "local order: " + bytes + " shuffle bytes an epoch, the workers' states "
                            + states + ", the pixels " + pixels);
                    localMost = Math.max(localMost, bytes.longValue());
                } else {
                    // compressed by Spark's shuffle codec, but every row's pixels
                    assertTrue(bytes.longValue() >= localMost + 0.2 * pixels, "global order: " + bytes + " shuffle bytes an epoch for "
                            + pixels + " of pixels");
                }
            }
        }
    }

    @Test
    void aScheduleSetsEachEpochsRateAndEarlyStoppingKeepsTheBestValidationEpoch() {
        // an MLP (no batch norm, whose running statistics move whatever the rate) at a rate so small that nothing changes:
        // validation accuracy never improves after epoch 1, so patience 1 stops before epoch 3 and epoch 1's student is kept
        KdConfig config = config("distill.student=mlp", "distill.student_params={hidden: [32]}", "distill.learning_rate=1.0e-12", "distill.lr_schedule=step", "distill.lr_step_epochs=1",
                "distill.lr_gamma=0.5", "distill.validation_fraction=0.2", "distill.early_stopping_patience=1");
        DistillJob.Result r = DistillJob.run(spark, config, layout, "early");
        assertEquals(List.of(1, 2), r.history().stream().map(EpochResult::epoch).toList(), "stopped before epoch 3");
        assertEquals(List.of(1.0e-12, 0.5e-12), r.history().stream().map(EpochResult::learningRate).toList());
        assertEquals(r.history().get(0).validationAccuracy(), r.history().get(1).validationAccuracy());
        long heldOut = 1200 - r.trainExamples();
        assertTrue(heldOut > 180 && heldOut < 300, "about 20% of 1,200 held out: " + heldOut);
        var provenance = org.kdspark.kd.provenance.Provenance.fromJson(files.readString(layout.studentDir("early") + "/provenance.json"));
        assertEquals(1, ((Number) provenance.details().get("kept_epoch")).intValue());
        assertEquals(heldOut, provenance.counts().get("validation_examples"));
        assertTrue(files.readString(layout.studentDir("early") + "/history.json").contains("validation_accuracy"));
        float[] best = ModelFiles.graphFromZip(files.readBytes(layout.studentDir("early") + "/checkpoints/best/model.zip"), false)
                .params().data().asFloat();
        assertArrayEquals(best, params("early"), "the saved student is the best epoch's");
    }

    @Test
    void theTrainerBenchmarkTrainsBothWaysOnTheSameDataAndReportsTheRatio() {
        java.util.Map<String, Object> r = org.kdspark.jobs.bench.DistillBench.run(spark, config(), layout,
                new org.kdspark.jobs.bench.DistillBench.Options(1, List.of(TrainerKind.ALLREDUCE, TrainerKind.BARRIER, TrainerKind.DL4J), List.of(4, 16), List.of(),
                        List.of(7L, 8L)));
        double spark = (Double) r.get("spark_examples_per_s");
        double local = (Double) r.get("local_examples_per_s");
        assertTrue(spark > 0 && local > 0, r.toString());
        assertEquals(spark / local, (Double) r.get("ratio"), 1e-12);
        // all-reduce combines gradients every step: it runs once, as frequency 1; the averaging trainers once per frequency
        assertEquals(1, r.get("averaging_frequency"));
        List<?> runs = (List<?>) r.get("spark_runs");
        assertEquals(List.of(1, 4, 16, 4, 16), runs.stream().map(m -> ((java.util.Map<?, ?>) m).get("averaging_frequency")).toList());
        assertEquals(TrainerKind.ALLREDUCE.toString(), r.get("trainer"));
        // the plain loop's minibatch defaults to the Spark run's global one
        assertEquals((Integer) r.get("workers") * (Integer) r.get("batch_size_per_worker"), r.get("local_batch_size"));
        assertEquals(1200L, r.get("train_examples"));
        // each run once per seed; the headline accuracy is the mean of the seeds'
        List<?> perSeed = (List<?>) ((java.util.Map<?, ?>) runs.get(0)).get("accuracies");
        assertEquals(2, perSeed.size());
        assertEquals(((Double) perSeed.get(0) + (Double) perSeed.get(1)) / 2, (Double) r.get("spark_accuracy"), 1e-12);
        // one epoch on 1,200 images: both well above chance (10 classes)
        assertTrue((Double) r.get("spark_accuracy") > 0.3 && (Double) r.get("local_accuracy") > 0.3, r.toString());
        String md = org.kdspark.jobs.bench.DistillBench.markdown(r);
        assertTrue(md.contains("| plain ComputationGraph.fit, one JVM, batch " + r.get("local_batch_size") + " |")
                && md.contains("ratio (Spark allreduce trainer / plain at batch") && md.contains("seeds [7, 8]"), md);
    }

    @Test
    void aNonFiniteLossStopsTheRunNamingTheEpochAndTheTerm() {
        // an absurd temperature-squared weight overflows the KD term in float32
        LossGuard.NonFiniteLossException e = assertThrows(LossGuard.NonFiniteLossException.class,
                () -> DistillJob.run(spark, config("distill.objective={ce: 1, kd: {weight: 1.0e38, temperature: 1}}"), layout, "nan"));
        assertTrue(e.getMessage().contains("epoch 1") && e.getMessage().contains("'kd'"), e.getMessage());
    }
}
