package org.kdspark.jobs.softlabels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.GeneratedImages;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.models.Models;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreManifest;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.jobs.teacher.TeacherCache;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Provenance;

/** The store is incremental and versioned: no teacher work twice, new and changed images alone, one version per teacher. */
class IncrementalStoreTest {

    private static final InputSpec SPEC = new InputSpec(3, 16, 16);

    private final SparkSession spark = TestSpark.session();
    private final HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
    @TempDir
    Path dir;

    @Test
    void sameTeacherDoesNoWorkNewAndChangedImagesAreLabelledAloneANewTeacherWritesANewVersion() throws IOException {
        Path images = dir.resolve("images");
        GeneratedImages.write(images, 4, 10, 16, true, 3);
        KdConfig config = config(images);
        RunLayout layout = new RunLayout(dir.resolve("out").toUri().toString());
        IngestJob.run(spark, config, layout);
        ComputationGraph teacher = saveTeacher(layout, 1);

        SoftLabelJob.Result first = SoftLabelJob.run(spark, config, layout);
        assertEquals(List.of(40L, 40L, 0L), List.of(first.rows(), first.labelled(), first.reused()));

        int loads = TeacherCache.loads();
        SoftLabelJob.Result again = SoftLabelJob.run(spark, config, layout);
        assertEquals(List.of(40L, 0L, 40L), List.of(again.rows(), again.labelled(), again.reused()));
        assertEquals(loads, TeacherCache.loads(), "no teacher work when nothing is new");
        assertEquals(1, SoftLabelStore.open(spark, layout.softLabels()).entry().batches().size());

        // 8 new images (2 per class), and one existing image whose file changes
        Path extra = dir.resolve("extra");
        GeneratedImages.write(extra, 4, 2, 16, true, 99);
        try (var added = Files.walk(extra)) {
            for (Path f : added.filter(Files::isRegularFile).toList()) {
                Files.move(f, images.resolve(extra.relativize(f.getParent())).resolve("new_" + f.getFileName()));
            }
        }
        Path changed = images.resolve("class_0/img_1.png");
        BufferedImage white = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                white.setRGB(x, y, 0xFFFFFF);
            }
        }
        ImageIO.write(white, "png", changed.toFile());
        IngestJob.Result ingested = IngestJob.run(spark, config, layout);
        assertFalse(ingested.reused(), "a folder with new files is ingested again");
        assertEquals(48, ingested.train() + ingested.test());

        SoftLabelJob.Result grown = SoftLabelJob.run(spark, config, layout);
        assertEquals(9, grown.labelled(), "8 new images + 1 changed");
        assertEquals(39, grown.reused());
        StoreVersion version = SoftLabelStore.open(spark, layout.softLabels());
        assertEquals(List.of("batch=00001", "batch=00002"), version.entry().batches().stream().map(StoreManifest.Batch::name).toList());
        assertEquals(49, version.read(spark).count(), "the changed image's old row stays, the reader no longer matches it");
        Map<String, Row> current = byId(version.labelsFor(spark, spark.read().parquet(layout.images())).collectAsList());
        assertEquals(48, current.size());
        Row image = spark.read().parquet(layout.images()).filter("id = 'class_0/img_1.png'").first();
        float[] expected = GraphOutputs.activations(teacher, SPEC.toInput(image.getAs(ImageTable.PIXELS), 0, 1), List.of(GraphOutputs.LOGITS))[0]
                .data().asFloat();
        List<Float> stored = current.get("class_0/img_1.png").getList(current.get("class_0/img_1.png").fieldIndex(SoftLabelStore.LOGITS));
        for (int c = 0; c < expected.length; c++) {
            assertEquals(expected[c], stored.get(c), 1e-5, "the changed image is labelled from its new pixels");
        }

        // a new teacher: a new version beside the old one, which stays readable in the manifest
        saveTeacher(layout, 2);
        SoftLabelJob.Result newTeacher = SoftLabelJob.run(spark, config, layout);
        assertNotEquals(version.name(), newTeacher.version());
        assertEquals(48, newTeacher.labelled());
        StoreManifest manifest = StoreManifest.read(files, layout.softLabels());
        assertEquals(List.of(version.name(), newTeacher.version()), List.copyOf(manifest.versions().keySet()));
        assertEquals(newTeacher.version(), manifest.current());
        assertEquals(49, manifest.versions().get(version.name()).rows());
    }

    @Test
    void leftoversOfAnInterruptedRunAreInvisibleAndRemovedAndAnUnversionedStoreIsReplaced() throws IOException {
        Path images = dir.resolve("images");
        GeneratedImages.write(images, 4, 5, 16, true, 5);
        KdConfig config = config(images);
        RunLayout layout = new RunLayout(dir.resolve("out").toUri().toString());
        IngestJob.run(spark, config, layout);
        saveTeacher(layout, 1);

        // a schema-1 store: readers refuse it with the fix, the job replaces it
        files.writeString(layout.softLabels() + "/_provenance.json", Provenance.of(SoftLabelStore.KIND, 1, "old").toJson());
        RuntimeException old = assertThrows(Provenance.IncompatibleArtifactException.class, () -> SoftLabelStore.open(spark, layout.softLabels()));
        assertTrue(old.getMessage().contains("schema version 1") && old.getMessage().contains("kd soft-labels"), old.getMessage());
        SoftLabelJob.Result r = SoftLabelJob.run(spark, config, layout);
        assertEquals(20, r.rows());

        // a batch directory the manifest does not list (a killed run's) is never read, and the next run removes it
        String leftover = layout.softLabels() + "/" + r.version() + "/batch=00002";
        Files.createDirectories(Path.of(java.net.URI.create(leftover)).resolve("_temporary"));
        Files.writeString(Path.of(java.net.URI.create(leftover)).resolve("part-00000.parquet"), "half a file");
        assertEquals(20, SoftLabelStore.open(spark, layout.softLabels()).read(spark).count());
        SoftLabelJob.Result again = SoftLabelJob.run(spark, config, layout);
        assertEquals(0, again.labelled());
        assertFalse(files.exists(leftover));
    }

    private static KdConfig config(Path images) {
        return ConfigLoader.load(null, List.of("dataset.format=folder", "dataset.path=" + images.toUri(), "dataset.name=generated",
                "dataset.partitions=4", "dataset.height=16", "dataset.width=16", "dataset.channels=3", "soft_labels.batch_size=8",
                "soft_labels.feature_taps=[block2]"));
    }

    private ComputationGraph saveTeacher(RunLayout layout, long seed) {
        KdConfig.Teacher t = KdConfig.defaults().teacher().withArchitecture("cnn-small").withSeed(seed);
        ComputationGraph teacher = Models.teacher(t, SPEC, 4);
        files.writeBytes(layout.teacherModel(), ModelFiles.toZip(teacher, Provenance.of("teacher", 1, "test"), false));
        return teacher;
    }

    private static Map<String, Row> byId(List<Row> rows) {
        Map<String, Row> out = new HashMap<>();
        rows.forEach(r -> out.put(r.getAs(SoftLabelStore.ID), r));
        return out;
    }
}
