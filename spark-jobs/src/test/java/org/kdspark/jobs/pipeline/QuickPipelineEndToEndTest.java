package org.kdspark.jobs.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.Tiers;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.kd.provenance.Provenance;

/** The quick pipeline (conf/fashion-mnist-quick.yaml) end to end on real Fashion-MNIST. */
@Tag(Tiers.SLOW)
class QuickPipelineEndToEndTest {

    private static final List<String> REPORT_KEYS = List.of("dataset.name", "dataset.train", "dataset.test", "teacher.accuracy",
            "teacher.params", "soft_labels.rows", "soft_labels.bytes_per_row", "soft_labels.seconds", "students.baseline.accuracy",
            "students.baseline.params", "students.baseline.seconds", "students.kd.accuracy", "students.kd.params", "students.kd.seconds",
            "students.kd.method");

    /** Kept after the test: CI runs the notebooks against this run (notebooks/run-all.sh). */
    static final Path RUN = Path.of("target/quick-pipeline-run").toAbsolutePath();

    @Test
    void quickPipelineWritesStoreStudentsAndAReportWithHonestFigures() throws Exception {
        Path dir = RUN;
        org.apache.commons.io.FileUtils.deleteDirectory(dir.toFile());
        SparkSession spark = TestSpark.session();
        KdConfig config = ConfigLoader.load(TestSpark.repoRoot().resolve("conf/fashion-mnist-quick.yaml"),
                List.of("output=" + dir.toUri()));
        RunLayout layout = new RunLayout(dir.toUri().toString());

        PipelineJob.Result result = PipelineJob.run(spark, config, layout);

        JsonNode report = Provenance.json().readTree(Files.readString(dir.resolve("report.json")));
        for (String key : REPORT_KEYS) {
            JsonNode node = report;
            for (String part : key.split("\\.")) {
                node = node.path(part);
            }
            assertFalse(node.isMissingNode() || node.isNull(), "report.json lacks " + key);
        }
        assertEquals(config.dataset().trainLimit(), report.at("/dataset/train").asLong());
        assertEquals(config.dataset().testLimit(), report.at("/dataset/test").asLong());
        assertEquals(config.dataset().trainLimit() + config.dataset().testLimit(), report.at("/soft_labels/rows").asLong());
        assertEquals("kd", report.at("/students/kd/method").asText());
        assertEquals("none", report.at("/students/baseline/method").asText());
        double teacher = report.at("/teacher/accuracy").asDouble();
        double baseline = report.at("/students/baseline/accuracy").asDouble();
        double kd = report.at("/students/kd/accuracy").asDouble();
        assertTrue(teacher > 0.75 && teacher <= 1, "teacher accuracy " + teacher);
        assertTrue(baseline > 0.5 && kd > 0.5, "students " + baseline + " / " + kd + " (chance is 0.1)");
        assertEquals(report.at("/students/kd/params").asLong(), report.at("/students/baseline/params").asLong(), "identical students");
        assertTrue(report.at("/teacher/params").asLong() > 10 * report.at("/students/kd/params").asLong());
        assertTrue(report.at("/soft_labels/bytes_per_row").asDouble() > 0);
        assertTrue(Files.readString(dir.resolve("report.md")).contains("| kd student | kd |"));
        // the report's plots: listed in report.json, embedded in report.md, PNGs of the stated size
        assertEquals(5, report.path("plots").size(), report.path("plots").toString());
        for (JsonNode plot : report.path("plots")) {
            String path = plot.path("path").asText();
            assertTrue(Files.readString(dir.resolve("report.md")).contains("](" + path + ")"), path);
            java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(dir.resolve(path).toFile());
            assertEquals(plot.path("width").asInt(), image.getWidth(), path);
            assertEquals(plot.path("height").asInt(), image.getHeight(), path);
        }

        // the store is plain Parquet with provenance in every footer
        StoreVersion store = SoftLabelStore.open(spark, layout.softLabels());
        assertEquals(report.at("/soft_labels/rows").asLong(), store.read(spark).count());
        Provenance footer = Provenance.fromJson(ParquetArtifacts.footerMetadata(spark.sparkContext().hadoopConfiguration(),
                store.batchUris().get(0)).get(ParquetArtifacts.FOOTER_KEY));
        assertEquals(SoftLabelStore.KIND, footer.kind());
        assertTrue(Files.exists(dir.resolve("students/kd/model.zip")));
        assertTrue(Files.exists(dir.resolve("students/kd/model.onnx")), "the student as verified ONNX next to its zip");
        assertTrue(Files.exists(dir.resolve("students/baseline/history.json")));
        assertTrue(Files.exists(dir.resolve("export/export.json")), "notebook export");
        assertEquals(result.reportJson(), layout.reportJson());

        // a second run reuses the image table and the teacher instead of redoing them
        long teacherWritten = Files.getLastModifiedTime(dir.resolve("teacher/model.zip")).toMillis();
        assertTrue(org.kdspark.jobs.ingest.IngestJob.run(spark, config, layout).reused());
        assertTrue(org.kdspark.jobs.trainteacher.TeacherJob.run(spark, config, layout).reused());
        assertEquals(teacherWritten, Files.getLastModifiedTime(dir.resolve("teacher/model.zip")).toMillis());
    }
}
