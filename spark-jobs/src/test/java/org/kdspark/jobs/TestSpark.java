package org.kdspark.jobs;

import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.spark.Sessions;

/** One embedded Spark session for the whole test JVM (starting one costs seconds; Spark allows one per JVM anyway). */
public final class TestSpark {

    private static SparkSession session;

    private TestSpark() {
    }

    public static synchronized SparkSession session() {
        if (session == null) {
            // local[2,2]: a failed task is retried once, as on a cluster (the retry test relies on it)
            KdConfig.Spark config = new KdConfig.Spark("local[2,2]", "kd",
                    Map.of("spark.sql.shuffle.partitions", "4", "spark.ui.showConsoleProgress", "false"));
            session = Sessions.start(config, "tests");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> session.stop()));
        }
        return session;
    }

    /** The repository root (for conf/ files), set by Maven; falls back to the parent of the module directory. */
    public static Path repoRoot() {
        String root = System.getProperty("kd.test.repoRoot");
        return root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
    }
}
