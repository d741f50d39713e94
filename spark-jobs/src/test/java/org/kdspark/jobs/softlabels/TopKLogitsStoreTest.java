package org.kdspark.jobs.softlabels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.Tiers;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.distill.DistillJob;
import org.kdspark.jobs.evaluate.EvaluateJob;
import org.kdspark.jobs.evaluate.Report;
import org.kdspark.jobs.export.NotebookExport;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.EncodingSizes;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreManifest;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.jobs.store.TableImages;
import org.kdspark.jobs.teacher.TeacherCache;
import org.kdspark.jobs.trainteacher.TeacherJob;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.codec.TensorEncoding;
import org.kdspark.kd.eval.Metrics;
import org.kdspark.kd.provenance.Provenance;

/**
 * {@code soft_labels.logits_encoding: topk:3} on a real Fashion-MNIST slice: the job writes the top-k logits beside the
 * dense version of the same teacher, every reader decodes them through the store's logits signal, and a KD student
 * trains from them. The run is kept in {@code target/topk-store-run}, its top-k version current and a report beside it:
 * CI reads that store with DuckDB too ({@code .ci/check-store.mjs}), from the cell layout alone.
 */
@Tag(Tiers.SLOW)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TopKLogitsStoreTest {

    private static final ColumnEncoding TOP3 = new ColumnEncoding.TopK(3, TensorEncoding.FLOAT32);

    /** Kept after the test for {@code .ci/check-store.mjs}. */
    static final Path RUN = Path.of("target/topk-store-run").toAbsolutePath();
    private static Path dir;
    private static SparkSession spark;
    private static RunLayout layout;
    private static SoftLabelJob.Result dense;
    private static SoftLabelJob.Result topk;

    @BeforeAll
    static void denseAndTopKStoresOfOneTeacher() throws java.io.IOException {
        dir = RUN;
        org.apache.commons.io.FileUtils.deleteDirectory(dir.toFile());
        spark = TestSpark.session();
        layout = new RunLayout(dir.toUri().toString());
        KdConfig denseConfig = config("float32");
        IngestJob.run(spark, denseConfig, layout);
        TeacherJob.run(spark, denseConfig, layout);
        dense = SoftLabelJob.run(spark, denseConfig, layout);
        topk = SoftLabelJob.run(spark, config("topk:3"), layout);
    }

    /** 2,000 training and 500 test images, a one-epoch teacher, the block2 tap, a two-epoch KD student. */
    private static KdConfig config(String logitsEncoding) {
        return ConfigLoader.load(TestSpark.repoRoot().resolve("conf/fashion-mnist-quick.yaml"),
                List.of("output=" + dir.toUri(), "dataset.train_limit=2000", "dataset.test_limit=500", "teacher.epochs=1",
                        "soft_labels.feature_taps=[block2]", "soft_labels.logits_encoding=" + logitsEncoding, "distill.epochs=2",
                        "distill.method=kd"));
    }

    private static StoreVersion version(String name) {
        StoreManifest manifest = StoreManifest.read(new HadoopFiles(spark.sparkContext().hadoopConfiguration()), layout.softLabels());
        return SoftLabelStore.version(spark, layout.softLabels(), manifest, name);
    }

    /** id -> logits, decoded by the version's logits signal. */
    private static Map<String, float[]> logitsById(StoreVersion version) {
        SoftLabelStore.Signal logits = version.signals().get(SoftLabelStore.LOGITS);
        Map<String, float[]> out = new HashMap<>();
        for (Row r : version.read(spark).select(SoftLabelStore.ID, logits.column()).collectAsList()) {
            float[] values = new float[logits.width()];
            logits.decodeInto(r, 1, values, 0);
            out.put(r.getString(0), values);
        }
        return out;
    }

    @Test
    @Order(1)
    void theTopKStoreHoldsTheCodecsEncodingOfTheDenseLogitsInAColumnOfItsOwnAndIsSmaller() {
        assertNotEquals(dense.version(), topk.version(), "a new logits encoding is a new version beside the old one");
        assertEquals(2500, topk.labelled());
        StoreVersion d = version(dense.version());
        StoreVersion t = version(topk.version());

        Dataset<Row> rows = t.read(spark);
        assertFalse(List.of(rows.schema().fieldNames()).contains(SoftLabelStore.LOGITS),
                "no array<float> logits column for a reader to misread");
        assertEquals(DataTypes.BinaryType, rows.schema().apply(SoftLabelStore.LOGITS_TOPK).dataType());
        assertEquals(Map.of("column", "logits_topk", "shape", List.of(10), "source_shape", List.of(10), "encoding", "topk:3"),
                t.provenance().details().get("logits"));
        assertEquals(Map.of("column", "logits", "shape", List.of(10), "encoding", "array<float>"), d.provenance().details().get("logits"));

        Map<String, float[]> denseLogits = logitsById(d);
        Map<String, float[]> topkLogits = logitsById(t);
        assertEquals(denseLogits.keySet(), topkLogits.keySet());
        int sameTop1 = 0;
        for (Map.Entry<String, float[]> e : denseLogits.entrySet()) {
            float[] z = e.getValue();
            float[] expected = TOP3.decode(TOP3.encode(z, 0, new int[] {10}), new int[] {10});
            assertArrayEquals(expected, topkLogits.get(e.getKey()), 1e-5f, e.getKey());
            sameTop1 += argmax(z) == argmax(topkLogits.get(e.getKey())) ? 1 : 0;
        }
        assertEquals(denseLogits.size(), sameTop1, "the arg-max survives top-k");

        // what KD sees: at T=1 the kept classes' probabilities are the teacher's; at T>1 the reconstructed tail holds at
        // least the teacher's tail mass (Jensen: the mean of x^(1/T) is at most the 1/T-th power of the mean of x)
        for (double temperature : new double[] {1, 4}) {
            double kl = 0;
            double tailTeacher = 0;
            double tailDecoded = 0;
            for (Map.Entry<String, float[]> e : denseLogits.entrySet()) {
                double[] p = softmax(e.getValue(), temperature);
                double[] q = softmax(topkLogits.get(e.getKey()), temperature);
                boolean[] kept = kept(e.getValue(), 3);
                double pt = 0;
                double qt = 0;
                for (int c = 0; c < 10; c++) {
                    kl += p[c] * Math.log(p[c] / q[c]);
                    if (kept[c] && temperature == 1) {
                        assertEquals(p[c], q[c], 1e-5, "kept class " + c + " of " + e.getKey() + " at T=1");
                    }
                    pt += kept[c] ? 0 : p[c];
                    qt += kept[c] ? 0 : q[c];
                }
                assertTrue(qt >= pt - 1e-6, "tail mass " + qt + " < " + pt + " at T=" + temperature);
                tailTeacher += pt;
                tailDecoded += qt;
            }
            int n = denseLogits.size();
            System.out.printf(Locale.ROOT, "topk:3 at T=%.0f: mean KL(teacher || decoded) %.5f nats, mean tail mass %.4f teacher, %.4f decoded%n",
                    temperature, kl / n, tailTeacher / n, tailDecoded / n);
        }

        // the teacher's test accuracy from each store, through the reader the evaluation uses
        TableImages.Collected test = TableImages.collect(ImageTable.open(spark, layout.images()), ImageTable.TEST);
        Dataset<Row> images = spark.read().parquet(layout.images());
        double denseAccuracy = Metrics.accuracy(SoftLabelStore.testLogits(d.labelsFor(spark, images),
                d.signals().get(SoftLabelStore.LOGITS), test.ids()), test.images().labels());
        double topkAccuracy = Metrics.accuracy(SoftLabelStore.testLogits(t.labelsFor(spark, images),
                t.signals().get(SoftLabelStore.LOGITS), test.ids()), test.images().labels());
        assertEquals(denseAccuracy, topkAccuracy, 0.0);
        assertTrue(denseAccuracy > 0.5, "teacher accuracy " + denseAccuracy);

        Map<String, Long> denseBytes = EncodingSizes.columnBytes(spark.sparkContext().hadoopConfiguration(), d.batchUris().get(0));
        Map<String, Long> topkBytes = EncodingSizes.columnBytes(spark.sparkContext().hadoopConfiguration(), t.batchUris().get(0));
        double denseLogitsPerRow = denseBytes.get(SoftLabelStore.LOGITS) / 2500.0;
        double topkLogitsPerRow = topkBytes.get(SoftLabelStore.LOGITS_TOPK) / 2500.0;
        System.out.printf(Locale.ROOT, "logits bytes/row: array<float> %.1f, topk:3 %.1f; store bytes/row: %.1f dense, %.1f topk:3%n",
                denseLogitsPerRow, topkLogitsPerRow, dense.bytesPerRow(), topk.bytesPerRow());
        assertTrue(topkLogitsPerRow < denseLogitsPerRow, topkLogitsPerRow + " vs " + denseLogitsPerRow);
        assertTrue(topk.bytesPerRow() < dense.bytesPerRow(), topk.bytesPerRow() + " vs " + dense.bytesPerRow());
    }

    @Test
    @Order(2)
    void theSameEncodingAgainDoesNoTeacherWorkAndEachEncodingKeepsItsVersion() {
        SoftLabelJob.Result denseAgain = SoftLabelJob.run(spark, config("float32"), layout);
        assertEquals(0, denseAgain.labelled(), "the dense version is still there, with the key it always had");
        assertEquals(dense.version(), denseAgain.version());
        SoftLabelJob.Result again = SoftLabelJob.run(spark, config("topk:3"), layout);
        assertEquals(0, again.labelled());
        assertEquals(2500, again.reused());
        assertEquals(topk.version(), again.version());
        assertEquals(topk.version(), SoftLabelStore.open(spark, layout.softLabels()).name(), "the top-k version is current again");
    }

    @Test
    @Order(9)
    void aKdStudentTrainsFromTheTopKStoreAndTheEvaluationReadsIt() throws Exception {
        KdConfig config = config("topk:3");
        assertEquals(0, SoftLabelJob.run(spark, config, layout).labelled(), "makes the top-k version current");
        assertEquals(topk.version(), SoftLabelStore.open(spark, layout.softLabels()).name());

        DistillJob.Result r = DistillJob.run(spark, config, layout, "kd-topk");

        assertTrue(r.history().get(1).loss() < r.history().get(0).loss(), "loss did not decrease: " + r.history());
        assertTrue(r.scores().accuracy() > 0.5, "test accuracy " + r.scores().accuracy() + " (chance is 0.1)");
        assertTrue(r.scores().teacherAgreement() > 0.5, "agreement with the decoded teacher logits " + r.scores().teacherAgreement());

        // kd evaluate: the teacher's test logits come decoded from the top-k store (KL and agreement need them)
        Report.Content report = EvaluateJob.run(spark, config, layout, 0, true);
        Report.Student student = report.students().get("kd-topk");
        assertEquals(r.scores().teacherAgreement(), student.teacherAgreement(), 1e-9);
        assertTrue(Double.isFinite(student.klFromTeacher()) && student.klFromTeacher() >= 0, "KL " + student.klFromTeacher());
        assertEquals(2500, report.softLabelRows());
        assertTrue(Files.isRegularFile(dir.resolve("report.json")));
    }

    @Test
    @Order(5)
    void logitsThisBuildCannotDecodeAreRefusedSayingWhatToDo() {
        Provenance p = Provenance.of(SoftLabelStore.KIND, SoftLabelStore.SCHEMA_VERSION, "test").withDetail("num_classes", 10)
                .withDetail("logits", Map.of("column", "logits_topk", "shape", List.of(10), "encoding", "topk:3:bfloat16"));
        Provenance.IncompatibleArtifactException e = assertThrows(Provenance.IncompatibleArtifactException.class, () -> SoftLabelStore.signals(p));
        assertTrue(e.getMessage().contains("topk:3:bfloat16") && e.getMessage().contains("re-run 'kd soft-labels'"), e.getMessage());

        // a cell that does not hold what the provenance says: a topk:5 cell read as topk:3
        SoftLabelStore.Signal logits = new SoftLabelStore.Signal(SoftLabelStore.LOGITS, SoftLabelStore.LOGITS_TOPK, new int[] {10}, TOP3);
        byte[] top5 = new ColumnEncoding.TopK(5, TensorEncoding.FLOAT32).encode(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0, new int[] {10});
        IllegalStateException bad = assertThrows(IllegalStateException.class,
                () -> logits.decodeInto(org.apache.spark.sql.RowFactory.create((Object) top5), 0, new float[10], 0));
        assertTrue(bad.getMessage().contains("logits_topk") && bad.getMessage().contains("topk:3") && bad.getMessage().contains("re-run"),
                bad.getMessage());
    }

    @Test
    @Order(3)
    void theExportAndTheEncodingSizesReadTheDecodedLogits() throws Exception {
        KdConfig config = config("topk:3");
        SoftLabelJob.run(spark, config, layout);
        Map<String, float[]> decoded = logitsById(version(topk.version()));

        NotebookExport.run(spark, layout, 4);
        List<String> lines = Files.readAllLines(Path.of(java.net.URI.create(NotebookExport.directory(layout) + "/soft_labels.csv")));
        assertEquals(String.join(",", NotebookExport.csvColumns(10)), lines.get(0));
        assertEquals(2501, lines.size());
        String[] cells = lines.get(1).split(",");
        float[] expected = decoded.get(cells[0]);
        for (int c = 0; c < 10; c++) {
            assertEquals(expected[c], Float.parseFloat(cells[3 + c]), 1e-6f, "logit_" + c + " of " + cells[0]);
        }

        Map<String, Double> sizes = EncodingSizes.bytesPerRow(spark, layout.softLabels(), "block2", dir.resolve("sizes").toUri().toString());
        double stored = EncodingSizes.columnBytes(spark.sparkContext().hadoopConfiguration(), version(topk.version()).batchUris().get(0))
                .get(SoftLabelStore.LOGITS_TOPK) / 2500.0;
        System.out.printf(Locale.ROOT, "re-encoded from the topk:3 store: %s%n", sizes);
        // the same cells, though Spark may split them over other files than the job did
        assertEquals(stored, sizes.get("logits/topk:3"), 0.5 * stored, "re-encoding the decoded logits as topk:3 gives the stored cells");
    }

    @Test
    @Order(4)
    void moreKeptLogitsThanClassesFailBeforeAnyWork() {
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        int versions = StoreManifest.read(files, layout.softLabels()).versions().size();
        int loads = TeacherCache.loads();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SoftLabelJob.run(spark, config("topk:11"), layout));

        assertTrue(e.getMessage().contains("soft_labels.logits_encoding") && e.getMessage().contains("10 classes")
                && e.getMessage().contains("K <= 10"), e.getMessage());
        assertEquals(versions, StoreManifest.read(files, layout.softLabels()).versions().size());
        assertEquals(loads, TeacherCache.loads(), "no teacher was loaded");
    }

    /** Classes kept by topk:k: the k largest, ties to the lower index, as the codec orders them. */
    private static boolean[] kept(float[] z, int k) {
        Integer[] order = new Integer[z.length];
        for (int i = 0; i < z.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(z[b], z[a]) != 0 ? Float.compare(z[b], z[a]) : Integer.compare(a, b));
        boolean[] out = new boolean[z.length];
        for (int j = 0; j < k; j++) {
            out[order[j]] = true;
        }
        return out;
    }

    private static double[] softmax(float[] z, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v / t);
        }
        double sum = 0;
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = Math.exp(z[i] / t - max);
            sum += out[i];
        }
        for (int i = 0; i < z.length; i++) {
            out[i] /= sum;
        }
        return out;
    }

    private static int argmax(float[] z) {
        int best = 0;
        for (int c = 1; c < z.length; c++) {
            if (z[c] > z[best]) {
                best = c;
            }
        }
        return best;
    }
}
