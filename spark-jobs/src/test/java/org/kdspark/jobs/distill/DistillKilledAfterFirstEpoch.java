package org.kdspark.jobs.distill;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.Sessions;

/**
 * Runs {@code kd distill} and kills its JVM (exit 137, no shutdown hooks, like {@code kill -9}) as soon as the
 * checkpoint of epoch 1 is complete: the run dies in epoch 2. Exits 0 if training finished first.
 * Arguments: the config YAML, the output directory (a local path), the student name.
 */
public final class DistillKilledAfterFirstEpoch {

    public static final int KILLED = 137;

    private DistillKilledAfterFirstEpoch() {
    }

    public static void main(String[] args) {
        KdConfig config = ConfigLoader.load(Path.of(args[0]), List.of());
        Path marker = Path.of(args[1], "students", args[2], "checkpoints", "epoch-0001", "checkpoint.json");
        Thread killer = new Thread(() -> {
            while (!Files.exists(marker)) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.out.println("killing the run: " + marker + " exists");
            System.out.flush();
            Runtime.getRuntime().halt(KILLED);
        });
        killer.setDaemon(true);
        killer.start();
        SparkSession spark = Sessions.start(config.spark(), "killed-after-epoch-1");
        DistillJob.run(spark, config, new RunLayout(Path.of(args[1]).toUri().toString()), args[2], false);
        System.exit(0);
    }
}
