package org.kdspark.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.GeneratedImages;

/**
 * The thin cluster jar through deploy/submit.sh and Spark's real SparkSubmit entry point (Spark's jars from Maven,
 * as a distribution has them) on a local[2] master: the whole pipeline on a small generated image set, which loads
 * ND4J's CPU backend from the jar (ServiceLoader), trains the teacher, writes the soft-label store, distills with
 * DL4J's Spark trainer and writes the report.
 */
class SparkSubmitLocalIT {

    @Test
    void clusterJarCarriesKdDl4jAndTheNd4jCpuBackendButNotSpark() throws Exception {
        TestSparkHome spark = TestSparkHome.create();
        try (JarFile jar = new JarFile(spark.clusterJar.toFile())) {
            assertEquals(DeployFiles.MAIN_CLASS, jar.getManifest().getMainAttributes().getValue("Main-Class"));
            for (String entry : List.of("org/kdspark/jobs/cli/KdCli.class", "org/kdspark/kd/provenance/BuildInfo.class",
                    "picocli/CommandLine.class", "com/fasterxml/jackson/dataformat/yaml/YAMLFactory.class",
                    "org/deeplearning4j/spark/impl/graph/SparkComputationGraph.class", "org/nd4j/linalg/cpu/nativecpu/CpuBackend.class")) {
                assertTrue(jar.getEntry(entry) != null, "the cluster jar lacks " + entry);
            }
            String backends = new String(jar.getInputStream(jar.getEntry("META-INF/services/org.nd4j.linalg.factory.Nd4jBackend")).readAllBytes());
            assertTrue(backends.contains("org.nd4j.linalg.cpu.nativecpu.CpuBackend"), "ND4J backend service file: " + backends);
            List<String> names = Collections.list(jar.entries()).stream().map(e -> e.getName()).toList();
            assertTrue(names.stream().anyMatch(n -> n.matches(".*/linux-x86_64[^/]*/libnd4jcpu\\.so")), "ND4J's linux-x86_64 natives");
            // (dl4j-spark has one helper class of its own in org.apache.spark, TaskContextHelper)
            for (String provided : List.of("org/apache/spark/SparkContext.class", "org/apache/spark/sql/", "scala/", "org/apache/hadoop/",
                    "org/slf4j/", "org/apache/logging/log4j/", "com/fasterxml/jackson/databind/", "org/apache/commons/io/")) {
                assertFalse(names.stream().anyMatch(n -> n.startsWith(provided)), "the cluster jar must not carry " + provided + " (provided by Spark)");
            }
        }
    }

    @Test
    void pipelineRunsThroughSparkSubmitOnALocalMaster() throws Exception {
        TestSparkHome spark = TestSparkHome.create();
        Path run = spark.work.resolve("local-pipeline");
        deleteRecursively(run);
        Path images = run.resolve("images");
        GeneratedImages.write(images, 3, 16, 28, false, 11);
        Path config = Files.writeString(Files.createDirectories(run).resolve("tiny.yaml"), """
                output: out/unused
                spark:
                  app_name: kd-it
                  conf:
                    spark.sql.shuffle.partitions: "2"
                dataset:
                  name: generated
                  format: folder
                  path: %s
                  test_fraction: 0.25
                  partitions: 2
                teacher:
                  epochs: 1
                  batch_size: 16
                soft_labels:
                  batch_size: 32
                distill:
                  epochs: 1
                  batch_size_per_worker: 8
                  averaging_frequency: 2
                """.formatted(images.toUri()));
        Path out = run.resolve("out");

        TestSparkHome.Run r = spark.runScript("local-pipeline", "submit.sh", Map.of("KD_MASTER", "local[2]"), 420,
                "local", "pipeline", config.toString(), "--output", out.toUri().toString());

        assertEquals(0, r.code(), r.tail());
        assertTrue(r.stdout().contains("| kd student |"), "the report on stdout:\n" + r.tail());
        for (String artifact : List.of("images/_provenance.json", "teacher/model.zip", "soft-labels/_store.json",
                "students/kd/model.zip", "students/baseline/model.zip", "report.json")) {
            assertTrue(Files.exists(out.resolve(artifact)), "missing " + artifact + "\n" + r.tail());
        }
        assertFalse(r.stderr().contains("NTP"), "DL4J's time source flag did not reach the JVM:\n" + r.tail());
    }

    static void deleteRecursively(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(walk.toList());
            Collections.reverse(all);
            for (Path p : all) {
                Files.delete(p);
            }
        }
    }
}
