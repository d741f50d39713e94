package org.kdspark.jobs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.distill.DistillJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Provenance;

/**
 * Artifacts written by an earlier release (the run in {@code fixtures/run-0ed6890}, made by {@code make-fixtures.sh}):
 * its image table, teacher zip and soft-label store still load, a re-run finds the store version it wrote, and a student
 * trains from it; a store of the older, unversioned layout is refused with what to do.
 */
class OlderArtifactsTest {

    private static final Path FIXTURE = TestSpark.repoRoot().resolve("spark-jobs/src/test/resources/fixtures/run-0ed6890");

    private final SparkSession spark = TestSpark.session();
    @TempDir
    Path dir;

    @Test
    void aRunOfTheEarlierReleaseLoadsIsReusedAndTrainsAStudent() throws IOException {
        Path run = dir.resolve("run");
        copy(FIXTURE, run);
        RunLayout layout = new RunLayout(run.toUri().toString());
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());

        ImageTable.Opened table = ImageTable.open(spark, layout.images());
        assertEquals(18, table.count(ImageTable.TRAIN) + table.count(ImageTable.TEST));
        assertEquals(List.of("class_0", "class_1", "class_2"), table.classes());

        byte[] zip = files.readBytes(layout.teacherModel());
        ComputationGraph teacher = ModelFiles.graphFromZip(zip, false);
        assertEquals(3, teacher.getLayer("logits").getParam("W").columns(), "three classes");
        Provenance p = ModelFiles.provenanceFromZip(zip);
        assertEquals("teacher", p.kind());

        StoreVersion store = SoftLabelStore.open(spark, layout.softLabels());
        assertEquals(18, store.read(spark).count());
        assertEquals(List.of(SoftLabelStore.LOGITS, "block2"), List.copyOf(store.signals().keySet()));

        // the same teacher and signal spec: this release finds the version the earlier one wrote and labels nothing
        KdConfig config = ConfigLoader.load(null, List.of("dataset.format=folder", "dataset.height=8", "dataset.width=8", "dataset.channels=1",
                "soft_labels.feature_taps=[block2]", "distill.student=cnn-small", "distill.epochs=1", "distill.precise_bn_examples=0", "distill.workers=1"));
        SoftLabelJob.Result again = SoftLabelJob.run(spark, config, layout);
        assertEquals(0, again.labelled());
        assertEquals(store.name(), again.version());

        DistillJob.Result student = DistillJob.run(spark, config, layout, "kd");
        assertEquals(1, student.history().size());
        assertTrue(Double.isFinite(student.history().get(0).loss()), student.history().toString());
    }

    @Test
    void aStoreOfTheUnversionedLayoutIsRefusedWithWhatToRun() throws IOException {
        Path old = Files.createDirectories(dir.resolve("soft-labels"));
        Files.writeString(old.resolve(ParquetArtifacts.SIDECAR), Provenance.of(SoftLabelStore.KIND, 1, "soft-labels").toJson());
        Provenance.IncompatibleArtifactException e = assertThrows(Provenance.IncompatibleArtifactException.class,
                () -> SoftLabelStore.open(spark, old.toUri().toString()));
        assertTrue(e.getMessage().contains("unversioned layout of schema version 1") && e.getMessage().contains("run 'kd soft-labels' again"),
                e.getMessage());
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
