package org.kdspark.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.distill.DistillJob;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.teacher.Dl4jTeacherBackend;
import org.kdspark.jobs.teacher.TeacherBackend;
import org.kdspark.jobs.teacher.TeacherLabeler;
import org.kdspark.jobs.trainteacher.TeacherJob;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.eval.Evaluation;
import org.kdspark.kd.method.Minibatch;
import org.kdspark.kd.method.Objective;
import org.kdspark.kd.method.TeacherShapes;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Hashes;
import org.kdspark.kd.provenance.Provenance;
import org.kdspark.kd.train.EarlyStopping;
import org.kdspark.kd.train.EpochResult;
import org.kdspark.kd.train.LearningRateSchedule;
import org.kdspark.kd.train.StudentTrainer;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/** The examples of docs/library.md, run as written (the page shows these methods' code; a test checks that it does). */
class LibraryExamplesTest {

    private static final InputSpec SPEC = new InputSpec(1, 12, 12);

    private final SparkSession spark = TestSpark.session();
    @TempDir
    Path dir;

    @Test
    void labelsAUsersDataFrameWithATeacher() throws IOException {
        Path teacherZip = dir.resolve("teacher.zip");
        ComputationGraph net = ModelZoo.build("cnn-small", Map.of(), SPEC, 3, 1L, OutputHead.softmaxCrossEntropy()).init();
        Files.write(teacherZip, ModelFiles.toZip(net, Provenance.of("teacher", 1, "example"), false));
        Dataset<Row> images = images(20);

        // docs/library.md: label a DataFrame
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        byte[] zip = Files.readAllBytes(teacherZip);
        TeacherBackend teacher = new Dl4jTeacherBackend(jsc.broadcast(zip), Hashes.sha256(zip), new InputSpec(1, 12, 12), List.of("block2"));
        Dataset<Row> labelled = new TeacherLabeler(teacher).setPixelsCol("img").setBatchSize(8).transform(images);
        // end

        assertEquals(List.of("name", "img", "logits", "feature_block2"), List.of(labelled.columns()));
        assertEquals(20, labelled.count());
        teacher.release();
    }

    @Test
    void buildsAStudentFromAnObjectiveAndFitsOneMinibatch() {
        int[] labels = {0, 1, 2, 1};
        float[] teacherLogits = new float[4 * 3];
        for (int i = 0; i < teacherLogits.length; i++) {
            teacherLogits[i] = (i % 3) - 1;
        }
        INDArray pixels = Nd4j.rand(DataType.FLOAT, 4, 1, 12, 12);

        // docs/library.md: an objective, a student with one head per term, and a minibatch's labels
        Objective objective = Objective.parse(Map.of("ce", 0.5, "kd", Map.of("weight", 0.5, "temperature", 4.0)));
        TeacherShapes teacher = new TeacherShapes(Map.of("logits", new int[] {3}));
        ComputationGraph student = ModelZoo.build("cnn-small", Map.of(), new InputSpec(1, 12, 12), 3, 7L, objective.heads(teacher)).init();
        Minibatch batch = new Minibatch(labels, 3, teacher, Map.of("logits", teacherLogits), DataType.FLOAT);
        student.fit(new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {pixels}, objective.labels(batch)));
        // end

        assertEquals(java.util.Set.of("loss_ce", "loss_kd"), java.util.Set.copyOf(objective.outputNames()));
        assertTrue(Double.isFinite(student.score()));
    }

    @Test
    void trainsEpochsWithTheLibraryLoop() {
        List<MultiDataSet> minibatches = new ArrayList<>();
        Objective objective = Objective.baseline();
        for (int b = 0; b < 3; b++) {
            int[] labels = {b % 3, (b + 1) % 3, (b + 2) % 3, b % 3};
            Minibatch batch = new Minibatch(labels, 3, new TeacherShapes(Map.of()), Map.of(), DataType.FLOAT);
            minibatches.add(new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {Nd4j.rand(DataType.FLOAT, 4, 1, 12, 12)},
                    objective.labels(batch)));
        }
        ComputationGraph network = ModelZoo.build("cnn-small", Map.of(), SPEC, 3, 7L, objective.heads(new TeacherShapes(Map.of()))).init();

        // docs/library.md: the epoch loop around any trainer
        StudentTrainer.EpochRunner runner = new StudentTrainer.EpochRunner() {
            @Override
            public ComputationGraph network() {
                return network;
            }

            @Override
            public double fitEpoch(int epoch) {
                double loss = 0;
                for (MultiDataSet b : minibatches) {
                    network.fit(b);
                    loss += network.score();
                }
                return loss / minibatches.size();
            }

            @Override
            public List<MultiDataSet> firstBatches(int epoch, int count) {
                return minibatches.subList(0, Math.min(count, minibatches.size()));
            }
        };
        StudentTrainer.Evaluator evaluator = new StudentTrainer.Evaluator() {
            @Override
            public double testAccuracy(ComputationGraph n) {
                return Evaluation.score(Evaluation.logits(n, testImages()), testImages().labels(), null).accuracy();
            }

            @Override
            public Double validationAccuracy(ComputationGraph n) {
                return null;
            }
        };
        StudentTrainer.Listener print = new StudentTrainer.Listener() {
            @Override
            public void epochEnded(EpochResult e, List<EpochResult> history, ComputationGraph n, boolean best) {
                System.out.printf("epoch %d: loss %.4f, test accuracy %.4f%n", e.epoch(), e.loss(), e.testAccuracy());
            }
        };
        StudentTrainer.Settings settings = new StudentTrainer.Settings(3, LearningRateSchedule.constant(3e-3), new EarlyStopping(0), 2,
                objective, 12);
        StudentTrainer.Result result = StudentTrainer.train(runner, settings, evaluator, List.of(print), StudentTrainer.Resume.FRESH);
        // end

        assertEquals(3, result.history().size());
        assertEquals(3, result.keptEpoch());
    }

    /** Compiled, not run here (the end-to-end tests run these jobs): the jobs called from Java with a typed config. */
    void runsTheJobsFromJava(SparkSession spark) {
        // docs/library.md: the jobs from Java
        KdConfig config = ConfigLoader.load(Path.of("conf/fashion-mnist-quick.yaml"), List.of())
                .withDistill(d -> d.withEpochs(2).withSeed(11));
        RunLayout layout = new RunLayout("file:///tmp/kd-run");
        IngestJob.run(spark, config, layout);
        TeacherJob.run(spark, config, layout);
        SoftLabelJob.Result labels = SoftLabelJob.run(spark, config, layout);
        DistillJob.Result kd = DistillJob.run(spark, config, layout, "kd");
        System.out.println(labels.rows() + " soft labels, KD student test accuracy " + kd.scores().accuracy());
        // end
    }

    @Test
    void theLibraryPageShowsTheseExamplesAsTheyAre() throws IOException {
        String doc = Files.readString(TestSpark.repoRoot().resolve("docs/library.md"));
        String source = Files.readString(TestSpark.repoRoot().resolve("spark-jobs/src/test/java/org/kdspark/examples/LibraryExamplesTest.java"));
        Matcher block = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(doc);
        int blocks = 0;
        while (block.find()) {
            blocks++;
            assertTrue(normalised(source).contains(normalised(block.group(1))), "docs/library.md shows code this test does not run:\n"
                    + block.group(1));
        }
        assertEquals(4, blocks, "docs/library.md's examples");
    }

    private static String normalised(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }

    private org.kdspark.kd.data.LabeledImages testImages() {
        byte[] pixels = new byte[6 * SPEC.valuesPerImage()];
        new Random(4).nextBytes(pixels);
        return new org.kdspark.kd.data.LabeledImages(6, SPEC, pixels, new int[] {0, 1, 2, 0, 1, 2});
    }

    private Dataset<Row> images(int n) {
        Random random = new Random(3);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] p = new byte[SPEC.valuesPerImage()];
            random.nextBytes(p);
            rows.add(RowFactory.create("image-" + i, p));
        }
        return spark.createDataFrame(rows, new StructType().add("name", DataTypes.StringType).add("img", DataTypes.BinaryType));
    }
}
