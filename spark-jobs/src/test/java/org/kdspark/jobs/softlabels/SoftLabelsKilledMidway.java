package org.kdspark.jobs.softlabels;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.Sessions;

/**
 * Runs the soft-label job and kills its JVM (exit 137, no shutdown hooks, like {@code kill -9}) as soon as the first
 * task that wrote store rows ends: the job dies with part of a batch on disk. Exits 0 if the job finished first.
 * Arguments: the config YAML, the output URI.
 */
public final class SoftLabelsKilledMidway {

    public static final int KILLED = 137;

    private SoftLabelsKilledMidway() {
    }

    public static void main(String[] args) {
        KdConfig config = ConfigLoader.load(Path.of(args[0]), List.of());
        SparkSession spark = Sessions.start(config.spark(), "killed-midway");
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.taskMetrics() != null && end.taskMetrics().outputMetrics().recordsWritten() > 0) {
                    System.out.println("killing the job after task " + end.taskInfo().id() + " of stage " + end.stageId() + " wrote "
                            + end.taskMetrics().outputMetrics().recordsWritten() + " rows");
                    System.out.flush();
                    Runtime.getRuntime().halt(KILLED);
                }
            }
        });
        SoftLabelJob.run(spark, config, new RunLayout(args[1]));
        System.exit(0);
    }
}
