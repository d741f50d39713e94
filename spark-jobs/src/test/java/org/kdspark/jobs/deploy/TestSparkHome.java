package org.kdspark.jobs.deploy;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A Spark "distribution" for the deploy integration tests, made of Maven's Spark jars: SPARK_HOME/jars links the
 * provided-scope classpath (Spark, Scala, Hadoop client, spark-yarn; target/spark-classpath.txt) and
 * SPARK_HOME/bin/spark-submit does what Spark's own script does. Everything else the jobs need must come from the
 * thin cluster jar, as on a real cluster.
 */
final class TestSparkHome {

    final Path home;
    final Path clusterJar;
    final Path work;
    /** The Spark jars, ':'-separated: the classpath a cluster node has before the application jar. */
    final String sparkClasspath;

    private TestSparkHome(Path home, Path clusterJar, Path work, String sparkClasspath) {
        this.home = home;
        this.clusterJar = clusterJar;
        this.work = work;
        this.sparkClasspath = sparkClasspath;
    }

    /** Builds it under target/kd-it/; skips the test when the cluster jar was not built (-Pcluster-jar). */
    static TestSparkHome create() throws IOException {
        String jarProperty = System.getProperty("kd.test.clusterJar", "");
        Path jar = Path.of(jarProperty);
        assumeTrue(!jarProperty.isEmpty() && Files.isRegularFile(jar),
                "the thin cluster jar is not built (" + jarProperty + "): run ./mvnw -Pcluster-jar verify");
        Path target = jar.getParent();
        Path work = Files.createDirectories(target.resolve("kd-it"));
        Path home = work.resolve("spark-home");
        Path jars = home.resolve("jars");
        if (Files.exists(jars)) {
            try (var old = Files.list(jars)) {
                for (Path p : (Iterable<Path>) old::iterator) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(jars);
        String classpath = Files.readString(target.resolve("spark-classpath.txt")).trim();
        Set<String> names = new HashSet<>();
        for (String entry : classpath.split(":")) {
            Path p = Path.of(entry);
            if (entry.endsWith(".jar") && names.add(p.getFileName().toString())) {
                Files.createSymbolicLink(jars.resolve(p.getFileName()), p);
            }
        }
        Path bin = Files.createDirectories(home.resolve("bin"));
        try (InputStream in = TestSparkHome.class.getResourceAsStream("spark-submit")) {
            Files.copy(in, bin.resolve("spark-submit"), StandardCopyOption.REPLACE_EXISTING);
        }
        bin.resolve("spark-submit").toFile().setExecutable(true);
        Files.createDirectories(home.resolve("conf"));
        return new TestSparkHome(home, jar, work, classpath);
    }

    record Run(int code, String stdout, String stderr) {
        String tail() {
            String both = stdout + "\n--- stderr ---\n" + stderr;
            return both.length() > 12_000 ? both.substring(both.length() - 12_000) : both;
        }
    }

    /** Runs a deploy/ script with this SPARK_HOME, the cluster jar and the given environment; output kept in files. */
    Run runScript(String name, String script, Map<String, String> env, long timeoutSeconds, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(DeployFiles.deploy().resolve(script).toString()));
        cmd.addAll(List.of(args));
        Path out = work.resolve(name + ".out");
        Path err = work.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(DeployFiles.root().toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("KD_") || k.startsWith("HADOOP_") || k.startsWith("YARN_") || k.equals("SPARK_SUBMIT"));
        e.put("SPARK_HOME", home.toString());
        e.put("KD_JAR", clusterJar.toString());
        e.put("SPARK_LOCAL_IP", "127.0.0.1");
        e.put("KD_JAVACPP_CACHE", System.getProperty("kd.test.javacppCache", work.resolve("javacpp").toString()));
        e.put("OMP_NUM_THREADS", "2");
        e.putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError(name + " did not finish in " + timeoutSeconds + " s; output in " + out + " and " + err);
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
