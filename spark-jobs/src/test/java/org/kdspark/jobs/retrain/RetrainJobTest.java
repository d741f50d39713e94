package org.kdspark.jobs.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.GeneratedImages;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.Tiers;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.provenance.Provenance;

/** Nightly retraining on a growing image set: first promotion, a candidate that is not good enough, a failed run, a switch. */
@Tag(Tiers.SLOW)
class RetrainJobTest {

    private final SparkSession spark = TestSpark.session();
    private final HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
    @TempDir
    Path dir;

    @Test
    void promotesOnlyABetterCandidateLabelsOnlyNewImagesAndAFailedRunLeavesCurrentUntouched() throws IOException {
        Path images = dir.resolve("images");
        GeneratedImages.write(images, 4, 24, 16, false, 21);
        RunLayout layout = new RunLayout(dir.resolve("run").toUri().toString());
        String registryUri = dir.resolve("registry").toUri().toString();
        ModelRegistry registry = new ModelRegistry(files, registryUri, "fashion");

        // night 1: nothing in production yet, so the candidate is promoted
        RetrainJob.Result first = RetrainJob.run(spark, config(images, registryUri, 0.0), layout);
        assertEquals("v0001", first.version());
        assertTrue(first.promoted(), first.reason());
        assertNull(first.previousVersion());
        assertEquals(96, first.labelled(), "everything is new on the first night");
        assertEquals("v0001", registry.current().orElseThrow().version());
        String currentJson = files.readString(registry.root() + "/current.json");
        long holdout = first.holdoutImages();
        assertTrue(holdout > 0);
        for (String f : List.of("model.zip", "model.onnx", "provenance.json", "history.json", "retrain.json")) {
            assertTrue(files.exists(registry.versionDir("v0001") + "/" + f), f);
        }

        // night 2: 32 more images; the bar (min_improvement 0.99) cannot be met, so the candidate is recorded, not promoted
        Path extra = dir.resolve("extra");
        GeneratedImages.write(extra, 4, 8, 16, false, 22);
        try (var added = Files.walk(extra)) {
            for (Path f : added.filter(Files::isRegularFile).toList()) {
                Files.move(f, images.resolve(extra.relativize(f.getParent())).resolve("new_" + f.getFileName()));
            }
        }
        RetrainJob.Result second = RetrainJob.run(spark, config(images, registryUri, 0.99), layout);
        assertEquals("v0002", second.version());
        assertFalse(second.promoted(), second.reason());
        assertEquals(32, second.labelled(), "only the new images are labelled");
        assertEquals(holdout, second.holdoutImages(), "the held-out set stays frozen while the test split grows");
        assertEquals("v0001", second.previousVersion());
        assertEquals(first.candidateAccuracy(), second.previousAccuracy(), 1e-9, "the production student is scored again on the same images");
        assertEquals(currentJson, files.readString(registry.root() + "/current.json"), "current.json untouched");
        Map<?, ?> decision = (Map<?, ?>) Provenance.fromJson(files.readString(registry.decision("v0002"))).details().get("decision");
        assertEquals(false, decision.get("promoted"));
        assertTrue(String.valueOf(decision.get("reason")).contains("not more than"), String.valueOf(decision.get("reason")));

        // night 3 fails (the production model is unreadable): current.json untouched, no version recorded
        byte[] production = files.readBytes(registry.model("v0001"));
        files.writeBytes(registry.model("v0001"), new byte[] {1, 2, 3});
        assertThrows(RuntimeException.class, () -> RetrainJob.run(spark, config(images, registryUri, -0.99), layout));
        assertEquals(currentJson, files.readString(registry.root() + "/current.json"));
        assertFalse(files.exists(registry.decision("v0003")));

        // night 4: a candidate that clears the bar (min_improvement -0.99) is switched in
        files.writeBytes(registry.model("v0001"), production);
        RetrainJob.Result fourth = RetrainJob.run(spark, config(images, registryUri, -0.99), layout);
        assertTrue(fourth.promoted(), fourth.reason());
        assertEquals(0, fourth.labelled(), "nothing new to label");
        assertEquals(fourth.version(), registry.current().orElseThrow().version());
    }

    private static KdConfig config(Path images, String registry, double minImprovement) {
        return ConfigLoader.load(null, List.of("dataset.format=folder", "dataset.path=" + images.toUri(), "dataset.name=generated",
                "dataset.partitions=2", "dataset.height=16", "dataset.width=16", "dataset.channels=1", "dataset.test_fraction=0.25",
                "teacher.architecture=cnn-small", "teacher.epochs=1", "soft_labels.feature_taps=[]", "distill.epochs=1",
                "distill.batch_size_per_worker=16", "retrain.registry=" + registry, "retrain.model=fashion",
                "retrain.min_improvement=" + minImprovement));
    }
}
