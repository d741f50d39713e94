package org.kdspark.jobs.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.Tiers;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.trainteacher.TeacherJob;
import org.kdspark.kd.provenance.Provenance;

/**
 * Every distillation method, and a weighted sum of them, trains the student in the distill job on a real
 * Fashion-MNIST slice, reading the teacher signals it needs (logits, the {@code block2} feature map, the
 * {@code embedding}) from a real soft-label store.
 */
@Tag(Tiers.SLOW)
class DistillMethodsTest {

    @TempDir
    static Path dir;
    private static SparkSession spark;
    private static RunLayout layout;

    @BeforeAll
    static void storeFromATeacherTrainedOnASlice() {
        spark = TestSpark.session();
        layout = new RunLayout(dir.toUri().toString());
        KdConfig config = config("kd");
        IngestJob.run(spark, config, layout);
        TeacherJob.run(spark, config, layout);
        SoftLabelJob.run(spark, config, layout);
    }

    /** The quick config on 2,000 training and 500 test images, a one-epoch teacher, two student epochs. */
    private static KdConfig config(String method) {
        KdConfig c = ConfigLoader.load(TestSpark.repoRoot().resolve("conf/fashion-mnist-quick.yaml"),
                List.of("output=" + dir.toUri(), "dataset.train_limit=2000", "dataset.test_limit=500", "teacher.epochs=1",
                        "soft_labels.feature_taps=[block2, embedding]", "distill.epochs=2", "distill.method=" + method));
        return c;
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "kd", "dkd", "dist", "fitnets", "at", "sp", "rkd", "pkt"})
    void eachMethodTrainsTheStudentFromTheStore(String method) throws Exception {
        KdConfig config = config(method);

        DistillJob.Result r = DistillJob.run(spark, config, layout, method);

        assertEquals(method, r.method());
        assertEquals(2, r.history().size());
        assertTrue(r.history().get(1).loss() < r.history().get(0).loss(),
                method + ": the objective's mean loss did not decrease: " + r.history());
        assertTrue(r.scores().accuracy() > 0.5, method + ": test accuracy " + r.scores().accuracy() + " (chance is 0.1)");
        Provenance p = Provenance.fromJson(Files.readString(dir.resolve("students/" + method + "/provenance.json")));
        assertEquals(config.studentObjective().toString(), p.details().get("objective"));
    }

    @Test
    void aMethodPluggedInFromTheClasspathTrainsLikeABuiltInOne() throws Exception {
        // docs/extending.md's example, registered as a plug-in by src/test/plugin in this tier's classpath
        KdConfig config = config("logitmatch");

        DistillJob.Result r = DistillJob.run(spark, config, layout, "logitmatch");

        assertEquals("1.0*CE(y,softmax(s)) + 1.0/2*||s - t||^2", config.studentObjective().toString());
        assertTrue(r.history().get(1).loss() < r.history().get(0).loss(), "the objective's mean loss did not decrease: " + r.history());
        assertTrue(r.scores().accuracy() > 0.5, "test accuracy " + r.scores().accuracy() + " (chance is 0.1)");
        Provenance p = Provenance.fromJson(Files.readString(dir.resolve("students/logitmatch/provenance.json")));
        assertEquals(config.studentObjective().toString(), p.details().get("objective"));
    }

    @Test
    void aWeightedSumOfTermsTrainsWithEveryTermInTheProvenance() throws Exception {
        Map<String, Object> objective = new LinkedHashMap<>();
        objective.put("ce", 0.5);
        objective.put("kd", Map.of("weight", 0.5, "temperature", 4.0));
        objective.put("at", Map.of("student_tap", "block2"));
        KdConfig config = config("kd").withDistill(d -> d.withObjective(objective));

        DistillJob.Result r = DistillJob.run(spark, config, layout, "ce-kd-at");

        assertTrue(r.history().get(1).loss() < r.history().get(0).loss(), "loss did not decrease: " + r.history());
        assertTrue(r.scores().accuracy() > 0.5, "test accuracy " + r.scores().accuracy());
        String formula = (String) Provenance.fromJson(Files.readString(dir.resolve("students/ce-kd-at/provenance.json")))
                .details().get("objective");
        assertTrue(formula.contains("CE(y,softmax(s))") && formula.contains("KL(") && formula.contains("block2"), formula);
    }

    @Test
    void attentionTransferReadsTheTeachersAttentionMapStraightFromACompactStore(@TempDir Path other) throws Exception {
        // the same image table and teacher, labelled into a store that keeps block2 as its attention map only
        RunLayout compact = copyOfImagesAndTeacher(other);
        KdConfig config = ConfigLoader.load(TestSpark.repoRoot().resolve("conf/fashion-mnist-quick.yaml"),
                List.of("output=" + other.toUri(), "dataset.train_limit=2000", "dataset.test_limit=500", "teacher.epochs=1",
                        "soft_labels.feature_taps=[block2]", "soft_labels.tap_encodings={block2: attention}", "distill.epochs=2",
                        "distill.method=at"));
        SoftLabelJob.Result labelled = SoftLabelJob.run(spark, config, compact);
        assertTrue(labelled.bytesPerRow() < 400, "logits and a 7x7 attention map, not a 64x7x7 map: " + labelled.bytesPerRow() + " B/row");

        DistillJob.Result r = DistillJob.run(spark, config, compact, "at");

        assertTrue(r.history().get(1).loss() < r.history().get(0).loss(), "loss did not decrease: " + r.history());
        assertTrue(r.scores().accuracy() > 0.5, "test accuracy " + r.scores().accuracy());
    }

    @Test
    void theStudentTrainsOnTheAugmentedViewsTheTeacherLabelled(@TempDir Path other) throws Exception {
        RunLayout augmented = copyOfImagesAndTeacher(other);
        KdConfig config = ConfigLoader.load(TestSpark.repoRoot().resolve("conf/fashion-mnist-quick.yaml"),
                List.of("output=" + other.toUri(), "dataset.train_limit=2000", "dataset.test_limit=500", "teacher.epochs=1",
                        "soft_labels.feature_taps=[]", "soft_labels.views=2", "soft_labels.view_shift=2", "distill.epochs=2",
                        "distill.method=kd"));
        SoftLabelJob.Result labelled = SoftLabelJob.run(spark, config, augmented);
        assertEquals(2000 * 3 + 500, labelled.rows());

        DistillJob.Result r = DistillJob.run(spark, config, augmented, "kd-views");

        assertEquals(2000, r.trainExamples(), "one view per image and epoch");
        assertTrue(r.history().get(1).loss() < r.history().get(0).loss(), "loss did not decrease: " + r.history());
        assertTrue(r.scores().accuracy() > 0.5, "test accuracy " + r.scores().accuracy());
    }

    /** A run directory under {@code other} with this class's image table and teacher (and no store). */
    private static RunLayout copyOfImagesAndTeacher(Path other) throws java.io.IOException {
        for (String part : List.of("images", "teacher")) {
            try (var files = Files.walk(dir.resolve(part))) {
                for (Path f : files.toList()) {
                    Path target = other.resolve(dir.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(f, target);
                    }
                }
            }
        }
        return new RunLayout(other.toUri().toString());
    }

    @Test
    void aSignalTheStoreLacksFailsBeforeTrainingAndSaysHowToAddIt() {
        KdConfig config = config("kd").withDistill(d -> d.withObjective(new LinkedHashMap<>(Map.of("ce", 1.0, "at",
                Map.of("student_tap", "block1")))));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DistillJob.run(spark, config, layout, "missing"));

        assertTrue(e.getMessage().contains("'block1'") && e.getMessage().contains("soft_labels.feature_taps"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("students/missing")), "nothing is written");
    }
}
