package org.kdspark.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** A minimal SPARK_HOME: {@code jars/} linking the provided-scope Spark jars of the build (target/spark-classpath.txt). */
public final class SparkJars {

    private SparkJars() {
    }

    public static Path home(Path home) throws IOException {
        Path jars = Files.createDirectories(home.resolve("jars"));
        Path list = Path.of(System.getProperty("kd.test.sparkClasspath", "target/spark-classpath.txt"));
        Set<String> names = new HashSet<>();
        for (String entry : Files.readString(list).trim().split(":")) {
            Path p = Path.of(entry);
            if (entry.endsWith(".jar") && names.add(p.getFileName().toString()) && !Files.exists(jars.resolve(p.getFileName()))) {
                Files.createSymbolicLink(jars.resolve(p.getFileName()), p);
            }
        }
        return home;
    }
}
