package org.kdspark.jobs.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.bench.MethodsBench;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.config.LabellingBackend;
import org.kdspark.jobs.config.OnnxDevice;
import org.kdspark.jobs.evaluate.EvaluateJob;
import org.kdspark.jobs.evaluate.Report;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.models.Models;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.TableImages;
import org.kdspark.jobs.teacher.OnnxTeacherCache;
import org.kdspark.kd.codec.TensorEncoding;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.onnx.OnnxRuntimeEnvironment;
import org.kdspark.kd.provenance.Provenance;

/**
 * The soft-label job end to end on a slice of Fashion-MNIST with each teacher backend: DL4J, an ONNX file written by
 * {@code kd export} given as {@code soft_labels.teacher_onnx}, and the verified export the job makes itself
 * ({@code auto}). The three stores must be the same: ids, labels, logits within 1e-4, feature maps within float16.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnnxSoftLabelJobTest {

    private final SparkSession spark = TestSpark.session();
    @TempDir
    static Path dir;
    private RunLayout layout;
    private KdConfig config;

    @BeforeAll
    void ingestASliceAndTrainATeacher() {
        config = ConfigLoader.load(TestSpark.repoRoot().resolve("conf/fashion-mnist.yaml"), List.of("dataset.train_limit=400",
                "dataset.test_limit=100", "dataset.partitions=4"));
        layout = new RunLayout(dir.resolve("run").toUri().toString());
        IngestJob.run(spark, config, layout);
        LabeledImages train = TableImages.collect(ImageTable.open(spark, layout.images()), ImageTable.TRAIN).images();
        KdConfig.Teacher t = KdConfig.defaults().teacher().withArchitecture("cnn-small").withEpochs(1);
        ComputationGraph teacher = Models.teacher(t, train.spec(), 10);
        Models.fitTeacher(teacher, train, 10, t, "test teacher"); // trained batch-norm statistics, not the init's 0/1
        new HadoopFiles(spark.sparkContext().hadoopConfiguration())
                .writeBytes(layout.teacherModel(), ModelFiles.toZip(teacher, Provenance.of("teacher", 1, "test"), false));
    }

    @Test
    void everyBackendWritesTheSameStore() {
        Map<String, Row> dl4j = label("soft_labels.backend=dl4j");

        Path exported = dir.resolve("teacher.onnx");
        OnnxModelExport.run(spark, layout, "teacher", exported.toString(), List.of("block2"));
        int loads = OnnxTeacherCache.loads();
        Map<String, Row> external = label("soft_labels.backend=onnx", "soft_labels.teacher_onnx=" + exported);
        // local[2]: one executor JVM running 4 partitions on 2 threads -> one ONNX Runtime session
        assertEquals(loads + 1, OnnxTeacherCache.loads(), "ONNX sessions created");
        Provenance p = SoftLabelStore.open(spark, layout.softLabels()).provenance();
        assertEquals(new HadoopFiles(spark.sparkContext().hadoopConfiguration()).sha256(exported.toUri().toString()),
                p.inputs().get("teacher_sha256"));
        assertEquals("onnx", ((Map<?, ?>) p.details().get("teacher_backend")).get("backend"));
        // the report's teacher row is the ONNX file that labelled, scored from the store's test logits; its size and
        // training time are not known (the run's own teacher, trained here, did not label)
        Report.Content report = EvaluateJob.run(spark, configWith("soft_labels.backend=onnx", "soft_labels.teacher_onnx=" + exported), layout, 0, false);
        String onnxUri = new HadoopFiles(spark.sparkContext().hadoopConfiguration()).qualify(exported.toString());
        assertEquals("ONNX file " + onnxUri, report.teacherSource());
        assertEquals(-1, report.teacherParams());
        assertEquals(MethodsBench.softLabelAccuracy(spark, layout), report.teacherAccuracy(), 1e-12);
        assertTrue(Report.markdown(report).contains("| teacher (ONNX file " + onnxUri + ") | - | "
                + String.format(java.util.Locale.ROOT, "%.2f%%", 100 * report.teacherAccuracy()) + " | - | - |"), Report.markdown(report));

        Map<String, Row> auto = label("soft_labels.backend=auto");
        assertEquals(100, ((Number) ((Map<?, ?>) SoftLabelStore.open(spark, layout.softLabels()).provenance().details()
                .get("teacher_backend")).get("verified_images")).intValue());

        assertEquals(500, dl4j.size());
        assertSameStore(dl4j, external);
        assertSameStore(dl4j, auto);
    }

    @Test
    void aGpuRequestWithoutTheGpuBuildIsRefusedBeforeAnyWork() {
        KdConfig cuda = config.withSoftLabels(s -> s.withBackend(LabellingBackend.ONNX).withOnnxDevice(OnnxDevice.CUDA));
        RuntimeException e = assertThrows(RuntimeException.class, () -> SoftLabelJob.run(spark, cuda, layout));
        assertTrue(e instanceof OnnxRuntimeEnvironment.GpuUnavailableException || e.getCause() instanceof OnnxRuntimeEnvironment.GpuUnavailableException,
                e.toString());
        assertTrue(e.getMessage().contains("soft_labels.onnx_device"), e.getMessage());
    }

    private static KdConfig configWith(String... overrides) {
        List<String> all = new java.util.ArrayList<>(List.of("dataset.train_limit=400", "dataset.test_limit=100", "dataset.partitions=4",
                "soft_labels.batch_size=64", "soft_labels.feature_taps=[block2]"));
        all.addAll(List.of(overrides));
        return ConfigLoader.load(TestSpark.repoRoot().resolve("conf/fashion-mnist.yaml"), all);
    }

    private Map<String, Row> label(String... overrides) {
        KdConfig withOverrides = configWith(overrides);
        // the store is incremental: a second backend for the same teacher would find nothing left to label
        new HadoopFiles(spark.sparkContext().hadoopConfiguration()).delete(layout.softLabels());
        SoftLabelJob.Result r = SoftLabelJob.run(spark, withOverrides, layout);
        assertEquals(500, r.rows());
        Map<String, Row> byId = new HashMap<>();
        for (Row row : SoftLabelStore.open(spark, layout.softLabels()).read(spark).collectAsList()) {
            byId.put(row.getAs(SoftLabelStore.ID), row);
        }
        return byId;
    }

    private static void assertSameStore(Map<String, Row> expected, Map<String, Row> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        double maxLogitDiff = 0;
        for (Map.Entry<String, Row> e : expected.entrySet()) {
            Row a = actual.get(e.getKey());
            Row x = e.getValue();
            assertEquals((Object) x.getAs(SoftLabelStore.SPLIT), a.getAs(SoftLabelStore.SPLIT));
            assertEquals((int) x.getAs(SoftLabelStore.LABEL), (int) a.getAs(SoftLabelStore.LABEL));
            List<Float> lx = x.getList(x.fieldIndex(SoftLabelStore.LOGITS));
            List<Float> la = a.getList(a.fieldIndex(SoftLabelStore.LOGITS));
            assertEquals(lx.size(), la.size());
            for (int i = 0; i < lx.size(); i++) {
                maxLogitDiff = Math.max(maxLogitDiff, Math.abs(lx.get(i) - la.get(i)));
            }
            float[] fx = TensorEncoding.FLOAT16.decode(x.getAs("feature_block2"));
            float[] fa = TensorEncoding.FLOAT16.decode(a.getAs("feature_block2"));
            assertEquals(fx.length, fa.length);
            for (int i = 0; i < fx.length; i++) {
                // both sides rounded to float16 from values 1e-4 apart: at most one float16 step apart
                assertEquals(fx[i], fa[i], 1e-3 * Math.max(1, Math.abs(fx[i])), e.getKey() + " feature " + i);
            }
        }
        assertTrue(maxLogitDiff <= 1e-4, "max logit difference " + maxLogitDiff);
    }

}
