package org.kdspark.jobs.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.Tiers;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.generate.GenerateImagesJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.kd.provenance.Provenance;

/**
 * The photo-like RGB set end to end: generated JPEGs of mixed sizes in the ImageNet layout, ingested with a centre
 * crop and the config's normalisation, then teacher, soft labels, students, report and export. Once with
 * conf/fashion-mnist-rgb-quick.yaml as it is, once with 100 classes labelled into a top-k store.
 */
@Tag(Tiers.SLOW)
class RgbPipelineEndToEndTest {

    private static final String FASHION_MNIST = "file:///usr/share/datasets/fashion-mnist";
    /** Kept after the test: CI runs the notebooks against this run (100 classes, RGB thumbnails, a top-k store). */
    static final Path HUNDRED_CLASS_RUN = Path.of("target/rgb-100-class-run").toAbsolutePath();

    @Test
    void theQuickRgbConfigRunsTheWholePipelineOnGeneratedJpegs() throws Exception {
        Path dir = Path.of("target/rgb-quick-run").toAbsolutePath();
        org.apache.commons.io.FileUtils.deleteDirectory(dir.toFile());
        SparkSession spark = TestSpark.session();
        // the set the config's header makes
        GenerateImagesJob.run(spark, new GenerateImagesJob.Settings(FASHION_MNIST, 6000, 2000, 96, 1.33, 10, 1000, 1),
                dir.resolve("images").toUri().toString());
        KdConfig config = ConfigLoader.load(TestSpark.repoRoot().resolve("conf/fashion-mnist-rgb-quick.yaml"),
                List.of("output=" + dir.resolve("run").toUri(), "dataset.path=" + dir.resolve("images/folder").toUri()));
        RunLayout layout = new RunLayout(dir.resolve("run").toUri().toString());

        PipelineJob.run(spark, config, layout);

        JsonNode report = Provenance.json().readTree(Files.readString(dir.resolve("run/report.json")));
        assertEquals(6000, report.at("/dataset/train").asLong());
        assertEquals(2000, report.at("/dataset/test").asLong());
        ImageTable.Opened table = ImageTable.open(spark, layout.images());
        assertEquals("3x32x32;mean=0.427,0.422,0.413;std=0.197,0.195,0.195", table.spec().toString(), "RGB, cropped, normalised");
        assertEquals(GenerateImagesJob.classNames(10), table.classes());
        double teacher = report.at("/teacher/accuracy").asDouble();
        double baseline = report.at("/students/baseline/accuracy").asDouble();
        double kd = report.at("/students/kd/accuracy").asDouble();
        // chance is 0.1; 6,000 scenes and 3 epochs give a teacher near 0.5 and students near 0.35
        assertTrue(teacher > 0.35, "teacher accuracy " + teacher);
        assertTrue(baseline > 0.2 && kd > 0.2, "students " + baseline + " / " + kd);
        assertTrue(Files.exists(dir.resolve("run/plots/confusion-kd.png")));
        assertTrue(onnxDeclares(dir.resolve("run/students/kd/model.onnx"), table.spec().toString()),
                "the exported student declares the normalised RGB input in its metadata");
    }

    @Test
    void aHundredClassTeacherLabelsATopKStoreAndTheReportShowsTheTopConfusions() throws Exception {
        Path dir = HUNDRED_CLASS_RUN;
        org.apache.commons.io.FileUtils.deleteDirectory(dir.toFile());
        SparkSession spark = TestSpark.session();
        GenerateImagesJob.run(spark, new GenerateImagesJob.Settings(FASHION_MNIST, 4000, 1000, 64, 1, 100, 1000, 3),
                dir.resolve("images").toUri().toString());
        KdConfig config = ConfigLoader.load(TestSpark.repoRoot().resolve("conf/fashion-mnist-rgb-quick.yaml"),
                List.of("output=" + dir.toUri(), "dataset.path=" + dir.resolve("images/folder").toUri(), "dataset.name=fashion-mnist-rgb-100",
                        "soft_labels.logits_encoding=topk:8", "teacher.epochs=2", "distill.epochs=2"));
        RunLayout layout = new RunLayout(dir.toUri().toString());

        PipelineJob.run(spark, config, layout);

        ImageTable.Opened table = ImageTable.open(spark, layout.images());
        assertEquals(GenerateImagesJob.classNames(100), table.classes());
        StoreVersion store = SoftLabelStore.open(spark, layout.softLabels());
        @SuppressWarnings("unchecked")
        Map<String, Object> logits = (Map<String, Object>) store.provenance().details().get("logits");
        assertEquals("topk:8", logits.get("encoding"));
        assertEquals(List.of(100), logits.get("shape"));
        assertEquals(5000, store.read(spark).count());
        JsonNode report = Provenance.json().readTree(Files.readString(dir.resolve("report.json")));
        double teacher = report.at("/teacher/accuracy").asDouble();
        double kd = report.at("/students/kd/accuracy").asDouble();
        assertTrue(teacher > 0.05 && kd > 0.03, "teacher " + teacher + ", kd student " + kd + " (chance is 0.01)");
        List<String> plots = new ArrayList<>();
        report.path("plots").forEach(p -> plots.add(p.path("path").asText()));
        assertTrue(plots.contains("plots/top-confusions-kd.png") && !plots.contains("plots/confusion-kd.png"), plots.toString());
        assertTrue(Files.exists(dir.resolve("export/soft_labels.csv")), "the notebooks' dense export of the top-k store");
    }

    /** Whether the ONNX file's metadata holds the input spec (protobuf keeps the string as it is). */
    private static boolean onnxDeclares(Path model, String spec) throws java.io.IOException {
        return new String(Files.readAllBytes(model), java.nio.charset.StandardCharsets.ISO_8859_1).contains(spec);
    }
}
