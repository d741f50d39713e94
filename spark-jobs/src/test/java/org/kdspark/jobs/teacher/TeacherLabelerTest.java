package org.kdspark.jobs.teacher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.models.Models;
import org.kdspark.kd.codec.TensorEncoding;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Provenance;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The labeler as user code sees it: a Spark ML Transformer over any DataFrame with a pixels column. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TeacherLabelerTest {

    private static final InputSpec SPEC = new InputSpec(1, 12, 12);
    private static final int IMAGES = 50;

    private final SparkSession spark = TestSpark.session();
    private ComputationGraph teacher;
    private Dl4jTeacherBackend backend;
    private Dataset<Row> images;
    private final List<byte[]> pixels = new ArrayList<>();

    @BeforeAll
    void userImagesAndATeacher() {
        KdConfig.Teacher t = KdConfig.defaults().teacher().withArchitecture("cnn-small");
        teacher = Models.teacher(t, SPEC, 3);
        byte[] zip = ModelFiles.toZip(teacher, Provenance.of("teacher", 1, "test"), false);
        backend = new Dl4jTeacherBackend(JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(zip), "labeler-test", SPEC,
                List.of("block2"));
        Random random = new Random(11);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < IMAGES; i++) {
            byte[] p = new byte[SPEC.valuesPerImage()];
            random.nextBytes(p);
            pixels.add(p);
            rows.add(RowFactory.create("user-" + i, p));
        }
        // the user's own column names: no image table, no "id"
        StructType schema = new StructType().add("key", DataTypes.StringType, false).add("img", DataTypes.BinaryType, false);
        images = spark.createDataFrame(rows, schema).repartition(4);
    }

    @AfterAll
    void release() {
        backend.release();
    }

    @Test
    void appendsLogitsAndFeaturesEqualToTheTeachersOwnOutput() {
        TeacherLabeler labeler = new TeacherLabeler(backend).setPixelsCol("img").setIdCol("key").setBatchSize(7).setFeatureEncoding("float32");
        Dataset<Row> out = labeler.transform(images);
        assertEquals(List.of("key", "img", "logits", "feature_block2"), List.of(out.columns()));
        List<Row> rows = out.orderBy("key").collectAsList();
        assertEquals(IMAGES, rows.size());
        for (Row r : rows) {
            int i = Integer.parseInt(r.getString(0).substring("user-".length()));
            INDArray[] expected = GraphOutputs.activations(teacher, SPEC.toInput(pixels.get(i), 0, 1), List.of(GraphOutputs.LOGITS, "block2"));
            float[] logits = new float[3];
            List<Float> stored = r.getList(2);
            for (int c = 0; c < 3; c++) {
                logits[c] = stored.get(c);
            }
            assertArrayEquals(expected[0].data().asFloat(), logits, 1e-5f);
            assertArrayEquals(expected[1].dup('c').data().asFloat(), TensorEncoding.FLOAT32.decode((byte[]) r.get(3)), 1e-5f);
        }
    }

    @Test
    void withoutThePixelsTheOtherColumnsAndTheLabelsAreThoseOfTheFullOutput() {
        // a column after the pixels: the kept columns must not shift onto the wrong values
        Dataset<Row> tagged = images.withColumn("tag", org.apache.spark.sql.functions.concat(images.col("key"),
                org.apache.spark.sql.functions.lit("!")));
        TeacherLabeler full = new TeacherLabeler(backend).setPixelsCol("img").setIdCol("key").setBatchSize(7);
        TeacherLabeler lean = new TeacherLabeler(backend).setPixelsCol("img").setIdCol("key").setBatchSize(7).setKeepPixels(false);

        Dataset<Row> out = lean.transform(tagged);
        assertEquals(List.of("key", "tag", "logits", "feature_block2"), List.of(out.columns()));
        assertEquals(List.of(out.columns()), List.of(lean.transformSchema(tagged.schema()).fieldNames()));
        List<Row> expected = full.transform(tagged).drop("img").orderBy("key").collectAsList();
        List<Row> rows = out.orderBy("key").collectAsList();
        assertEquals(IMAGES, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            assertEquals(r.getString(0) + "!", r.getString(1));
            assertEquals(expected.get(i).getList(2), r.getList(2));
            assertArrayEquals((byte[]) expected.get(i).get(3), (byte[]) r.get(3));
        }
    }

    @Test
    void paramsAndSchemaAreValidatedBeforeAnyWorkNamingTheFix() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> new TeacherLabeler(backend).transform(images));
        assertTrue(missing.getMessage().contains("'pixels'") && missing.getMessage().contains("pixelsCol"), missing.getMessage());
        IllegalArgumentException notBinary = assertThrows(IllegalArgumentException.class,
                () -> new TeacherLabeler(backend).setPixelsCol("key").transform(images));
        assertTrue(notBinary.getMessage().contains("not binary") && notBinary.getMessage().contains("1x12x12"), notBinary.getMessage());
        IllegalArgumentException clash = assertThrows(IllegalArgumentException.class,
                () -> new TeacherLabeler(backend).setPixelsCol("img").transform(images.withColumn("logits", images.col("key"))));
        assertTrue(clash.getMessage().contains("'logits'"), clash.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TeacherLabeler(backend).setBatchSize(0));
        assertThrows(IllegalArgumentException.class, () -> new TeacherLabeler(backend).setFeatureEncoding("int8"));
        TeacherLabeler copy = new TeacherLabeler(backend).setBatchSize(9).copy(new org.apache.spark.ml.param.ParamMap());
        assertEquals(9, (Integer) copy.getOrDefault(copy.batchSize()));
    }

    @Test
    void aTaskThatFailsOnItsFirstAttemptIsRetriedAndTheOutputEqualsACleanRun() {
        TeacherLabeler clean = new TeacherLabeler(backend).setPixelsCol("img").setIdCol("key").setBatchSize(8);
        TeacherLabeler flaky = new TeacherLabeler(new FailsOnFirstAttempt(backend)).setPixelsCol("img").setIdCol("key").setBatchSize(8);
        List<Row> expected = clean.transform(images).orderBy("key").collectAsList();
        java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
        org.apache.spark.scheduler.SparkListener listener = new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
                if (end.reason() instanceof org.apache.spark.ExceptionFailure f && f.description().contains("injected failure")) {
                    failures.incrementAndGet();
                }
            }
        };
        spark.sparkContext().addSparkListener(listener);
        List<Row> retried;
        try {
            retried = flaky.transform(images).orderBy("key").collectAsList();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (failures.get() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
        // (orderBy samples its input in a job of its own, which fails and retries the same way)
        assertTrue(failures.get() >= 1, "the injected failure happened and its task was retried");
        assertEquals(IMAGES, retried.size());
        for (int i = 0; i < IMAGES; i++) {
            assertEquals(expected.get(i).getString(0), retried.get(i).getString(0));
            assertEquals(expected.get(i).getList(2), retried.get(i).getList(2));
            assertArrayEquals((byte[]) expected.get(i).get(3), (byte[]) retried.get(i).get(3));
        }
    }

    /** A teacher whose partition 1 fails on its first attempt, as a lost executor or a flaky disk would make it. */
    private record FailsOnFirstAttempt(TeacherBackend delegate) implements TeacherBackend {
        @Override
        public Outputs label(byte[] pixels, int count) {
            TaskContext task = TaskContext.get();
            if (task.partitionId() == 1 && task.attemptNumber() == 0) {
                throw new IllegalStateException("injected failure of partition 1, attempt 0");
            }
            return delegate.label(pixels, count);
        }

        @Override
        public List<String> taps() {
            return delegate.taps();
        }

        @Override
        public void release() {
            delegate.release();
        }

        @Override
        public InputSpec spec() {
            return delegate.spec();
        }
    }
}
