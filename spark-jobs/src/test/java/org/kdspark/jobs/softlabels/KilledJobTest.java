package org.kdspark.jobs.softlabels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.ChildJvm;
import org.kdspark.jobs.GeneratedImages;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.Tiers;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.models.Models;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Provenance;

/** A soft-label job killed midway (its JVM, with kill -9 semantics) leaves nothing visible; the next run completes it. */
@Tag(Tiers.SLOW)
class KilledJobTest {

    private final SparkSession spark = TestSpark.session();
    private final HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
    @TempDir
    Path dir;

    @Test
    void aKilledRunLeavesTheStoreAsItWasAndTheRerunEqualsACleanRun() throws Exception {
        Path images = dir.resolve("images");
        GeneratedImages.write(images, 4, 10, 16, false, 8);
        KdConfig config = ConfigLoader.load(null, List.of("dataset.format=folder", "dataset.path=" + images.toUri(), "dataset.name=generated",
                "dataset.partitions=4", "dataset.height=16", "dataset.width=16", "dataset.channels=1", "soft_labels.batch_size=16",
                "soft_labels.feature_taps=[block2]", "spark.master=local[2]", "spark.conf={spark.sql.shuffle.partitions: '16', spark.ui.enabled: 'false'}"));
        RunLayout layout = new RunLayout(dir.resolve("out").toUri().toString());
        IngestJob.run(spark, config, layout);
        KdConfig.Teacher t = KdConfig.defaults().teacher().withArchitecture("cnn-small");
        files.writeBytes(layout.teacherModel(), ModelFiles.toZip(Models.teacher(t, new InputSpec(1, 16, 16), 4), Provenance.of("teacher", 1, "test"), false));
        SoftLabelJob.run(spark, config, layout);

        // more images arrive; the run that labels them is killed after its first task wrote rows
        Path extra = dir.resolve("extra");
        GeneratedImages.write(extra, 4, 40, 16, false, 9);
        try (var added = Files.walk(extra)) {
            for (Path f : added.filter(Files::isRegularFile).toList()) {
                Files.move(f, images.resolve(extra.relativize(f.getParent())).resolve("new_" + f.getFileName()));
            }
        }
        IngestJob.run(spark, config, layout);
        Path yaml = dir.resolve("config.yaml");
        Files.writeString(yaml, ConfigLoader.toYaml(config));
        Path log = dir.resolve("child.log");
        int exit = ChildJvm.await(ChildJvm.start(SoftLabelsKilledMidway.class, List.of(yaml.toString(), layout.root()), log), 300);
        assertEquals(SoftLabelsKilledMidway.KILLED, exit, "the child should have been killed midway; its log:\n" + Files.readString(log));

        StoreVersion visible = SoftLabelStore.open(spark, layout.softLabels());
        assertEquals(1, visible.entry().batches().size(), "the killed batch is not in the manifest");
        assertEquals(40, visible.read(spark).count());
        String partial = visible.uri() + "/batch=00002";
        assertTrue(files.exists(partial), "the killed run did leave files behind (else this test proves nothing); its log:\n"
                + Files.readString(log) + "\nstore: " + listing(dir.resolve("out/soft-labels")));

        SoftLabelJob.Result rerun = SoftLabelJob.run(spark, config, layout);
        assertEquals(160, rerun.labelled());
        assertEquals(200, rerun.rows());

        // equal to a clean run over the same images and teacher
        RunLayout clean = new RunLayout(dir.resolve("clean").toUri().toString());
        IngestJob.run(spark, config, clean);
        files.writeBytes(clean.teacherModel(), files.readBytes(layout.teacherModel()));
        SoftLabelJob.run(spark, config, clean);
        Map<String, Row> expected = byId(SoftLabelStore.open(spark, clean.softLabels()).read(spark).collectAsList());
        Map<String, Row> actual = byId(SoftLabelStore.open(spark, layout.softLabels()).read(spark).collectAsList());
        assertEquals(expected.keySet(), actual.keySet());
        for (String id : expected.keySet()) {
            List<Float> e = expected.get(id).getList(expected.get(id).fieldIndex(SoftLabelStore.LOGITS));
            List<Float> a = actual.get(id).getList(actual.get(id).fieldIndex(SoftLabelStore.LOGITS));
            for (int c = 0; c < e.size(); c++) {
                // other batch compositions may change the last bits of the BLAS sums
                assertEquals(e.get(c), a.get(c), 1e-5, id);
            }
        }
        assertFalse(Files.readString(log).isEmpty());
    }

    private static String listing(Path root) throws java.io.IOException {
        try (var all = Files.walk(root)) {
            return all.map(p -> root.relativize(p).toString()).sorted().toList().toString();
        }
    }

    private static Map<String, Row> byId(List<Row> rows) {
        Map<String, Row> out = new HashMap<>();
        rows.forEach(r -> out.put(r.getAs(SoftLabelStore.ID), r));
        return out;
    }
}
