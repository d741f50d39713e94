package org.kdspark.jobs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
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
import org.kdspark.jobs.models.Models;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Provenance;

/** The image table and the soft-label store on hdfs:// (a MiniDFSCluster on 127.0.0.1): written, committed, reused. */
@Tag(Tiers.SLOW)
class HdfsStoreTest {

    private final SparkSession spark = TestSpark.session();
    private final HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());

    @Test
    void ingestAndLabelOnHdfs(@TempDir Path dir) throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("dfs").toString());
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        try {
            cluster.waitActive();
            String hdfs = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
            Path local = dir.resolve("images");
            GeneratedImages.write(local, 3, 8, 16, false, 5);
            try (var walk = Files.walk(local)) {
                for (Path f : walk.filter(Files::isRegularFile).toList()) {
                    files.copy(f.toUri().toString(), hdfs + "/data/images/" + local.relativize(f).toString().replace('\\', '/'));
                }
            }
            KdConfig config = ConfigLoader.load(null, List.of("dataset.format=folder", "dataset.path=" + hdfs + "/data/images",
                    "dataset.name=generated", "dataset.partitions=2", "dataset.height=16", "dataset.width=16", "dataset.channels=1",
                    "soft_labels.feature_taps=[block2]"));
            RunLayout layout = new RunLayout(hdfs + "/runs/one");
            IngestJob.Result ingested = IngestJob.run(spark, config, layout);
            assertEquals(24, ingested.train() + ingested.test());

            KdConfig.Teacher t = KdConfig.defaults().teacher().withArchitecture("cnn-small");
            ComputationGraph teacher = Models.teacher(t, new InputSpec(1, 16, 16), 3);
            files.writeBytes(layout.teacherModel(), ModelFiles.toZip(teacher, Provenance.of("teacher", 1, "test"), false));
            SoftLabelJob.Result first = SoftLabelJob.run(spark, config, layout);
            assertEquals(List.of(24L, 24L), List.of(first.rows(), first.labelled()));
            assertTrue(files.exists(layout.softLabels() + "/" + StoreManifest.FILE), "the manifest, renamed into place on HDFS");
            assertEquals(24, SoftLabelStore.open(spark, layout.softLabels()).read(spark).count());
            assertEquals(0, SoftLabelJob.run(spark, config, layout).labelled(), "nothing new: no teacher work");
        } finally {
            cluster.shutdown();
        }
    }
}
