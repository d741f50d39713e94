package org.kdspark.jobs.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.distill.DistillJob;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.kd.codec.TensorEncoding;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.onnx.OnnxClassifier;
import org.kdspark.kd.provenance.Provenance;

/**
 * A teacher as users bring it: a CNN trained in PyTorch on 100 classes of RGB images, exported to ONNX, expecting
 * torchvision's evaluation transforms ({@code Resize(36)}, {@code CenterCrop(32)}, {@code ToTensor}, ImageNet
 * {@code Normalize}). Ingesting its JPEG class folder with the same resize and crop and labelling with its
 * normalisation must store PyTorch's own logits and intermediate output for each file (fixtures/pytorch, written by
 * its make_fixtures.py).
 */
class PyTorchTeacherTest {

    private static final Path FIXTURE = TestSpark.repoRoot().resolve("spark-jobs/src/test/resources/fixtures/pytorch");

    private final SparkSession spark = TestSpark.session();

    @Test
    void aPyTorchTeacherLabelsAJpegClassFolderWithPyTorchsOwnLogits(@TempDir Path dir) throws IOException {
        JsonNode expected = new ObjectMapper().readTree(FIXTURE.resolve("expected.json").toFile()).get("images");
        List<String> overrides = new ArrayList<>(List.of("dataset.format=folder", "dataset.path=" + FIXTURE.resolve("images").toUri(),
                "dataset.name=pytorch-fixture", "dataset.channels=3", "dataset.height=32", "dataset.width=32",
                "dataset.resize=center_crop", "dataset.resize_shorter=36", "dataset.interpolation=bilinear", "dataset.partitions=2",
                "soft_labels.backend=onnx", "soft_labels.teacher_onnx=" + FIXTURE.resolve("teacher.onnx").toUri(),
                "soft_labels.feature_taps=[embedding]", "soft_labels.feature_encoding=float32", "soft_labels.batch_size=16"));
        RunLayout layout = new RunLayout(dir.toUri().toString());
        KdConfig unnormalised = ConfigLoader.load(null, overrides);
        overrides.addAll(List.of("preprocess.teacher_mean=[0.485, 0.456, 0.406]", "preprocess.teacher_std=[0.229, 0.224, 0.225]"));
        KdConfig config = ConfigLoader.load(null, overrides);

        IngestJob.Result ingest = IngestJob.run(spark, config, layout);
        assertEquals(100, ingest.train() + ingest.test());
        assertEquals(0, ingest.rejected());
        assertEquals(100, ingest.classes().size());

        SoftLabelJob.Result labelled = SoftLabelJob.run(spark, config, layout);
        assertEquals(100, labelled.labelled());
        StoreVersion version = SoftLabelStore.open(spark, layout.softLabels());
        assertEquals("3x32x32;mean=0.485,0.456,0.406;std=0.229,0.224,0.225", version.provenance().details().get("input_spec"),
                "the store records what the teacher was fed");
        Map<String, Row> rows = rows(version);
        assertEquals(expected.size(), rows.size());
        double maxLogit = 0;
        double maxEmbedding = 0;
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            JsonNode want = expected.get(e.getKey());
            float[] logits = logits(e.getValue());
            maxLogit = Math.max(maxLogit, maxAbsDiff(want.get("logits"), logits));
            maxEmbedding = Math.max(maxEmbedding, maxAbsDiff(want.get("embedding"),
                    TensorEncoding.FLOAT32.decode(e.getValue().getAs(SoftLabelStore.featureColumn("embedding")))));
            assertEquals(argmax(want.get("logits")), argmax(logits), e.getKey() + ": the same class as PyTorch's");
        }
        System.out.printf("PyTorch teacher: max |logit - PyTorch's| %.2e, max |embedding - PyTorch's| %.2e over %d JPEGs%n", maxLogit,
                maxEmbedding, rows.size());
        assertTrue(maxLogit <= 1e-3, "logits within 1e-3 of PyTorch's, got " + maxLogit);
        assertTrue(maxEmbedding <= 1e-3, "intermediate output within 1e-3 of PyTorch's, got " + maxEmbedding);

        // the same teacher fed unnormalised pixels: another store version, and logits PyTorch never gives
        SoftLabelJob.Result raw = SoftLabelJob.run(spark, unnormalised, layout);
        assertNotEquals(labelled.version(), raw.version(), "the teacher's normalisation is part of the version key");
        assertEquals(100, raw.labelled());
        double rawDiff = 0;
        for (Map.Entry<String, Row> e : rows(SoftLabelStore.open(spark, layout.softLabels())).entrySet()) {
            rawDiff = Math.max(rawDiff, maxAbsDiff(expected.get(e.getKey()).get("logits"), logits(e.getValue())));
        }
        assertTrue(rawDiff > 1, "unnormalised input gives other logits, max difference " + rawDiff);

        // a student of the run learning from the PyTorch teacher's store with a normalisation of its own: the table declares
        // the student's, the teacher keeps its; the store's rows are reused (same teacher, same pixels), and the student's
        // model and its ONNX export declare what they take
        List<String> student = new ArrayList<>(overrides);
        student.addAll(List.of("preprocess.mean=[0.5, 0.5, 0.5]", "preprocess.std=[0.25, 0.25, 0.25]", "distill.epochs=1",
                "distill.student=cnn-small", "distill.precise_bn_examples=0", "distill.workers=2", "distill.batch_size_per_worker=16"));
        KdConfig studentConfig = ConfigLoader.load(null, student);
        assertTrue(!IngestJob.run(spark, studentConfig, layout).reused(), "a new declared input is a new image table");
        SoftLabelJob.Result again = SoftLabelJob.run(spark, studentConfig, layout);
        assertEquals(labelled.version(), again.version());
        assertEquals(0, again.labelled(), "the same teacher on the same pixels: nothing to label");
        DistillJob.Result distilled = DistillJob.run(spark, studentConfig, layout, "kd");
        String studentSpec = "3x32x32;mean=0.5,0.5,0.5;std=0.25,0.25,0.25";
        Provenance studentProvenance = Provenance.fromJson(Files.readString(dir.resolve("students/kd/provenance.json")));
        assertEquals(studentSpec, studentProvenance.details().get("input_spec"));
        try (OnnxClassifier onnx = OnnxClassifier.open(Files.readAllBytes(dir.resolve("students/kd/model.onnx")),
                InputSpec.parse(studentSpec), "logits", List.of(), 1, false)) {
            assertEquals(studentSpec, onnx.metadata().get(OnnxModelExport.INPUT_SPEC_METADATA), "the export declares its input");
            assertTrue(onnx.metadata().containsKey("kd.verified.max_abs_diff"), "and was verified: " + onnx.metadata().keySet());
        }
        assertTrue(distilled.scores().accuracy() >= 0 && distilled.scores().accuracy() <= 1);
    }

    private Map<String, Row> rows(StoreVersion version) {
        Map<String, Row> out = new HashMap<>();
        for (Row r : version.read(spark).collectAsList()) {
            out.put(r.getAs(SoftLabelStore.ID), r);
        }
        return out;
    }

    private static float[] logits(Row r) {
        List<Float> values = r.getList(r.fieldIndex(SoftLabelStore.LOGITS));
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private static double maxAbsDiff(JsonNode want, float[] got) {
        assertEquals(want.size(), got.length);
        double max = 0;
        for (int i = 0; i < got.length; i++) {
            max = Math.max(max, Math.abs(want.get(i).asDouble() - got[i]));
        }
        return max;
    }

    private static int argmax(JsonNode values) {
        int best = 0;
        for (int i = 1; i < values.size(); i++) {
            best = values.get(i).asDouble() > values.get(best).asDouble() ? i : best;
        }
        return best;
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }
}
