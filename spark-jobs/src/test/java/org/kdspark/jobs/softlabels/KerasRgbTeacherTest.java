package org.kdspark.jobs.softlabels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;

/**
 * A Keras teacher as users bring it: an HDF5 CNN for 32x32x3 channels_last input with 100 classes, expecting
 * ImageNet-normalised pixels, labelling the JPEG class folder of the PyTorch fixture after torchvision's Resize(36) and
 * CenterCrop(32). The stored logits must be the ones numpy computes from the same weights and Pillow's pixels
 * (fixtures/keras-rgb, written by its make_fixture.py).
 */
class KerasRgbTeacherTest {

    private static final Path FIXTURES = TestSpark.repoRoot().resolve("spark-jobs/src/test/resources/fixtures");

    private final SparkSession spark = TestSpark.session();

    @Test
    void aNormalisedRgbKerasTeacherLabelsAJpegClassFolderWithTheReferenceLogits(@TempDir Path dir) throws IOException {
        JsonNode expected = new ObjectMapper().readTree(FIXTURES.resolve("keras-rgb/expected.json").toFile()).get("logits");
        KdConfig config = ConfigLoader.load(null, List.of("dataset.format=folder", "dataset.path=" + FIXTURES.resolve("pytorch/images").toUri(),
                "dataset.name=keras-fixture", "dataset.channels=3", "dataset.height=32", "dataset.width=32", "dataset.resize=center_crop",
                "dataset.resize_shorter=36", "dataset.partitions=2", "soft_labels.teacher_model=" + FIXTURES.resolve("keras-rgb/rgb_cnn.h5"),
                "preprocess.teacher_mean=[0.485, 0.456, 0.406]", "preprocess.teacher_std=[0.229, 0.224, 0.225]", "soft_labels.feature_taps=[]", "soft_labels.batch_size=16"));
        RunLayout layout = new RunLayout(dir.toUri().toString());
        assertEquals(100, IngestJob.run(spark, config, layout).classes().size());

        SoftLabelJob.Result labelled = SoftLabelJob.run(spark, config, layout);
        assertEquals(100, labelled.labelled());
        StoreVersion version = SoftLabelStore.open(spark, layout.softLabels());
        assertEquals("3x32x32;mean=0.485,0.456,0.406;std=0.229,0.224,0.225", version.provenance().details().get("input_spec"));
        double max = 0;
        int rows = 0;
        for (Row r : version.read(spark).collectAsList()) {
            JsonNode want = expected.get((String) r.getAs(SoftLabelStore.ID));
            List<Float> got = r.getList(r.fieldIndex(SoftLabelStore.LOGITS));
            assertEquals(want.size(), got.size());
            int wantTop = 0;
            int gotTop = 0;
            for (int c = 0; c < got.size(); c++) {
                max = Math.max(max, Math.abs(want.get(c).asDouble() - got.get(c)));
                wantTop = want.get(c).asDouble() > want.get(wantTop).asDouble() ? c : wantTop;
                gotTop = got.get(c) > got.get(gotTop) ? c : gotTop;
            }
            assertEquals(wantTop, gotTop, r.getAs(SoftLabelStore.ID) + ": the reference's class");
            rows++;
        }
        assertEquals(expected.size(), rows);
        System.out.printf("Keras RGB teacher: max |logit - reference| %.2e over %d JPEGs%n", max, rows);
        assertTrue(max <= 1e-3, "logits within 1e-3 of the reference, got " + max);
    }
}
