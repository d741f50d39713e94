package org.kdspark.jobs.cli;

import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.pipeline.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.spark.Sessions;

/** Starts the Spark session for a subcommand, resolves the output layout, and always stops the session. */
final class Runs {

    interface Body {
        int run(SparkSession spark, RunLayout layout) throws Exception;
    }

    private Runs() {
    }

    static int withSpark(KdConfig config, String job, Body body) {
        SparkSession spark = Sessions.start(config.spark, job);
        try {
            String root = new HadoopFiles(spark.sparkContext().hadoopConfiguration()).qualify(config.output);
            return body.run(spark, new RunLayout(root));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            spark.stop();
        }
    }
}
