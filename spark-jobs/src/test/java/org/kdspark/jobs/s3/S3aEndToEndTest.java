package org.kdspark.jobs.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.GeneratedImages;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.Tiers;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.retrain.ModelRegistry;
import org.kdspark.jobs.retrain.RetrainJob;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreManifest;
import org.kdspark.jobs.store.StoreVersion;

/**
 * Everything on s3a:// against a real S3-compatible server on 127.0.0.1: images read from a bucket (one of them
 * corrupt), the image table and the soft-label store written through the S3A magic committer, a student distilled
 * with its checkpoints in the bucket, and promoted in a model registry in the bucket.
 */
@Tag(Tiers.SLOW)
class S3aEndToEndTest {

    private static final String BUCKET = "kd-e2e";
    private static S3Server server;
    @TempDir
    static Path serverDir;

    private final SparkSession spark = TestSpark.session();
    private final HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() throws IOException, InterruptedException {
        server = S3Server.start(serverDir);
        server.createBucket(BUCKET);
        server.configure(TestSpark.session().sparkContext().hadoopConfiguration(), BUCKET);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void ingestLabelDistillAndPromoteOnS3a() throws IOException {
        Path local = dir.resolve("images");
        GeneratedImages.write(local, 4, 16, 16, false, 41);
        Files.write(local.resolve("class_2/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        String images = "s3a://" + BUCKET + "/datasets/generated";
        try (var walk = Files.walk(local)) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                files.copy(f.toUri().toString(), images + "/" + local.relativize(f).toString().replace('\\', '/'));
            }
        }
        RunLayout layout = new RunLayout("s3a://" + BUCKET + "/runs/nightly");
        String registryUri = "s3a://" + BUCKET + "/registry";
        KdConfig config = config(images, registryUri);

        IngestJob.Result ingested = IngestJob.run(spark, config, layout);
        assertEquals(65, ingested.filesSeen());
        assertEquals(1, ingested.rejected(), "the corrupt PNG is quarantined, not dropped");
        assertEquals(ingested.filesSeen(), ingested.train() + ingested.test() + ingested.rejected(), "counts reconcile");
        assertEquals(1, spark.read().parquet(layout.imageRejects()).count());

        RetrainJob.Result night = RetrainJob.run(spark, config, layout);
        assertTrue(night.promoted(), night.reason());
        assertEquals(64, night.labelled());
        ModelRegistry registry = new ModelRegistry(files, registryUri, "generated");
        assertEquals(night.version(), registry.current().orElseThrow().version());
        for (String f : List.of("model.zip", "model.onnx", "provenance.json", "retrain.json")) {
            assertTrue(files.exists(registry.versionDir(night.version()) + "/" + f), f);
        }

        // the store's batch was committed by the S3A magic committer (its _SUCCESS is a JSON summary naming it)
        StoreVersion version = SoftLabelStore.open(spark, layout.softLabels());
        StoreManifest.Batch batch = version.entry().batches().get(0);
        String success = files.readString(layout.softLabels() + "/" + version.name() + "/" + batch.name() + "/_SUCCESS");
        assertTrue(success.contains("\"committer\" : \"magic\""), success);
        assertFalse(files.exists(layout.softLabels() + "/" + version.name() + "/" + batch.name() + "/__magic"),
                "no magic staging directory left behind");
        assertEquals(64, version.read(spark).count());

        // a second soft-label run over the same bucket does no teacher work
        SoftLabelJob.Result again = SoftLabelJob.run(spark, config, layout);
        assertEquals(List.of(64L, 0L, 64L), List.of(again.rows(), again.labelled(), again.reused()));
    }

    private static KdConfig config(String images, String registry) {
        return ConfigLoader.load(null, List.of("dataset.format=folder", "dataset.path=" + images, "dataset.name=generated",
                "dataset.partitions=2", "dataset.height=16", "dataset.width=16", "dataset.channels=1", "dataset.test_fraction=0.25",
                "teacher.architecture=cnn-small", "teacher.epochs=1", "soft_labels.feature_taps=[]", "distill.epochs=1",
                "distill.batch_size_per_worker=16", "retrain.registry=" + registry, "retrain.model=generated"));
    }
}
