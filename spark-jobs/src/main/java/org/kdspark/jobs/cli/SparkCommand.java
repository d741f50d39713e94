package org.kdspark.jobs.cli;

import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.spark.Sessions;
import picocli.CommandLine.Mixin;

/**
 * A subcommand that runs one job on Spark: it loads and validates the config (before any Spark work), starts
 * the session, resolves the output layout, runs the job, prints its summary, and always stops the session.
 */
abstract class SparkCommand implements Callable<Integer> {

    @Mixin
    CommonOptions options;

    /** The job's name, for the Spark application name. */
    abstract String job();

    /** Runs the job and returns the one-line summary to print. */
    abstract String run(SparkSession spark, KdConfig config, RunLayout layout);

    @Override
    public final Integer call() {
        KdConfig config = options.load();
        SparkSession spark = Sessions.start(config.spark(), job());
        try {
            String root = new HadoopFiles(spark.sparkContext().hadoopConfiguration()).qualify(config.output());
            System.out.println(run(spark, config, new RunLayout(root)));
            return 0;
        } finally {
            spark.stop();
        }
    }
}
