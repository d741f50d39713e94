package org.kdspark.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.GeneratedImages;

/**
 * deploy/yarn-client.sh against a YARN mini-cluster on 127.0.0.1 (one NodeManager in this JVM): spark-submit in
 * client mode, the thin jar shipped to the executor container by YARN, the JVM flags and the log4j2 config passed to
 * the executor, and a real ingest job run by that executor.
 *
 * <p>What makes it run: a capacity scheduler with root.default, JAXB on the test classpath,
 * JAVA_HOME in the environment (containers start $JAVA_HOME/bin/java), no Spark archive to upload
 * (spark.yarn.jars=local:/nonexistent/x.jar) but the Spark jars from Maven as the containers' extra classpath, the
 * staging directory under target/, 512m application master and executor, and no driver UI.
 */
class YarnClientSubmitIT {

    private static MiniYARNCluster yarn;
    private static Path hadoopConf;

    @BeforeAll
    static void startYarn() throws Exception {
        TestSparkHome spark = TestSparkHome.create();
        YarnConfiguration conf = new YarnConfiguration();
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.set("yarn.scheduler.capacity.root.default.capacity", "100");
        conf.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
        conf.set(YarnConfiguration.RM_HOSTNAME, "127.0.0.1");
        conf.set(YarnConfiguration.NM_ADDRESS, "127.0.0.1:0");
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
        conf.setInt(YarnConfiguration.NM_PMEM_MB, 4096);
        conf.setInt(YarnConfiguration.NM_VCORES, 2);
        conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
        conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
        // developer machines run with full disks more often than clusters do
        conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 99.9f);
        yarn = new MiniYARNCluster("kd-deploy-it", 1, 1, 1);
        yarn.init(conf);
        yarn.start();
        long deadline = System.currentTimeMillis() + 60_000;
        while (yarn.getResourceManager().getRMContext().getRMNodes().isEmpty()) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the NodeManager did not register with the ResourceManager in 60 s");
            }
            Thread.sleep(200);
        }
        hadoopConf = Files.createDirectories(spark.work.resolve("yarn-conf"));
        try (OutputStream out = Files.newOutputStream(hadoopConf.resolve("yarn-site.xml"))) {
            yarn.getConfig().writeXml(out);
        }
    }

    @AfterAll
    static void stopYarn() {
        if (yarn != null) {
            yarn.stop();
        }
    }

    @Test
    void ingestRunsOnYarnInClientModeFromTheThinJar() throws Exception {
        TestSparkHome spark = TestSparkHome.create();
        Path run = spark.work.resolve("yarn-ingest");
        SparkSubmitLocalIT.deleteRecursively(run);
        Path images = run.resolve("images");
        GeneratedImages.write(images, 3, 8, 16, true, 5);
        Path config = Files.writeString(run.resolve("ingest.yaml"), """
                spark:
                  app_name: kd-yarn-it
                dataset:
                  name: generated
                  format: folder
                  path: %s
                  channels: 3
                  height: 16
                  width: 16
                  partitions: 2
                """.formatted(images.toUri()));
        Path out = run.resolve("out");
        String cp = spark.sparkClasspath;
        String submitOptions = String.join(" ", List.of(
                "--conf", "spark.yarn.jars=local:/nonexistent/x.jar",
                "--conf", "spark.driver.extraClassPath=" + cp,
                "--conf", "spark.executor.extraClassPath=" + cp,
                "--conf", "spark.yarn.stagingDir=" + spark.work.resolve("yarn-staging").toUri(),
                "--conf", "spark.yarn.am.memory=512m",
                "--conf", "spark.driver.memory=1g",
                "--conf", "spark.executor.memory=512m",
                "--conf", "spark.executor.memoryOverhead=384m",
                "--conf", "spark.driver.host=127.0.0.1",
                // Maven's Hadoop client jars carry YARN's AmIpFilter against relocated servlet classes, which the
                // driver's UI cannot load; a Spark distribution ships its own copy. No UI is needed here.
                "--conf", "spark.ui.enabled=false",
                "--num-executors", "1",
                "--executor-cores", "1"));

        TestSparkHome.Run r = spark.runScript("yarn-ingest", "yarn-client.sh",
                Map.of("HADOOP_CONF_DIR", hadoopConf.toString(), "KD_SUBMIT_OPTS", submitOptions), 300,
                "ingest", config.toString(), "--output", out.toUri().toString());

        assertEquals(0, r.code(), r.tail());
        assertTrue(r.stdout().matches("(?s).*ingest: \\d+ train \\+ \\d+ test images, 0 rejected, of 24 files seen.*"), r.tail());
        assertTrue(Files.exists(out.resolve("images/_provenance.json")), r.tail());
        // the application really went through YARN, and its application master reported success
        List<RMApp> apps = List.copyOf(yarn.getResourceManager().getRMContext().getRMApps().values());
        assertEquals(1, apps.size(), "applications on the mini-cluster: " + apps);
        long deadline = System.currentTimeMillis() + 30_000;
        while (apps.get(0).getFinalApplicationStatus() == FinalApplicationStatus.UNDEFINED && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        assertEquals(FinalApplicationStatus.SUCCEEDED, apps.get(0).getFinalApplicationStatus(), r.tail());

        // the executor container started with kd's JVM flags and logged through conf/log4j2-cluster.properties
        Path logs = Path.of(yarn.getNodeManager(0).getConfig().get(YarnConfiguration.NM_LOG_DIRS).split(",")[0].replaceFirst("^file://", ""));
        List<Path> executors;
        try (Stream<Path> files = Files.walk(logs)) {
            executors = files.filter(p -> p.getFileName().toString().equals("launch_container.sh"))
                    .map(Path::getParent).filter(c -> !c.getFileName().toString().endsWith("_000001")).toList();
        }
        assertFalse(executors.isEmpty(), "no executor container logs under " + logs);
        for (Path container : executors) {
            String launch = Files.readString(container.resolve("launch_container.sh"));
            for (String flag : DeployFiles.jvmFlags()) {
                assertTrue(launch.contains(flag), container + " was started without " + flag);
            }
            assertTrue(Files.readString(container.resolve("stderr")).matches("(?s)\\d{4}-\\d\\d-\\d\\dT.*"),
                    container + ": not logging with the cluster log4j2 pattern");
        }
    }
}
