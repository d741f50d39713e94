package org.kdspark.jobs.distill;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.ChildJvm;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.Sessions;

/**
 * Runs {@code kd distill} on Spark's {@code local-cluster[2,1,1024]} master: a standalone master and two workers
 * in this JVM, each executor a JVM of its own, so models, losses and data cross process boundaries. SPARK_HOME must
 * hold Spark's jars (the workers build the executors' classpath from it); the executors get this JVM's classpath
 * and flags. Arguments: the config YAML, the output directory (a local path), the student name.
 */
public final class DistillOnLocalCluster {

    private DistillOnLocalCluster() {
    }

    public static void main(String[] args) {
        KdConfig config = ConfigLoader.load(Path.of(args[0]), List.of()).withSpark(s -> s.withMaster("local-cluster[2,1,1024]")
                .withConf("spark.executor.memory", "768m")
                .withConf("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .withConf("spark.executor.extraJavaOptions", String.join(" ", ChildJvm.jvmFlags())));
        SparkSession spark = Sessions.start(config.spark(), "local-cluster");
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (spark.sparkContext().getExecutorMemoryStatus().size() < 3 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        // the driver's block manager is listed too
        System.out.println("executor JVMs: " + (spark.sparkContext().getExecutorMemoryStatus().size() - 1));
        DistillJob.run(spark, config, new RunLayout(Path.of(args[1]).toUri().toString()), args[2], false);
        spark.stop();
        System.exit(0);
    }
}
