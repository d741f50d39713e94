package org.kdspark.jobs.spark;

import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.kd.gpu.GpuCheck;
import org.kdspark.kd.model.NativeHelpers;

/**
 * The one place that builds a SparkSession for the jobs.
 *
 * <p>The master comes from the config, else from spark-submit ({@code spark.master}), else {@code local[*]}.
 * DL4J's Spark trainer asks an NTP pool for the time unless told to use the system clock, and there is no
 * network on many clusters: the property is set for the driver and passed to executors, as is the switch
 * that lets DL4J use its oneDNN layer helpers ({@link NativeHelpers}). In the {@code -Pcuda} build the driver's GPUs
 * are checked against what ND4J's CUDA backend supports before the session starts ({@link GpuCheck}), and
 * {@link GpuCheckPlugin} does the same in each executor.
 */
public final class Sessions {

    public static final String TIME_SOURCE_PROPERTY = "org.deeplearning4j.spark.time.TimeSource";
    public static final String SYSTEM_CLOCK = "org.deeplearning4j.spark.time.SystemClockTimeSource";
    public static final String CLOUD_COMMIT_PROTOCOL = "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol";

    private Sessions() {
    }

    public static SparkSession start(KdConfig.Spark config, String job) {
        GpuCheck.require("driver", List.of());
        System.setProperty(TIME_SOURCE_PROPERTY, System.getProperty(TIME_SOURCE_PROPERTY, SYSTEM_CLOCK));
        SparkConf defaults = new SparkConf(true);
        String master = config.master() != null ? config.master() : defaults.get("spark.master", "local[*]");
        SparkSession.Builder builder = SparkSession.builder()
                .appName(config.appName() + " " + job)
                .master(master)
                .config("spark.sql.parquet.compression.codec", "zstd")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.session.timeZone", "UTC");
        NativeHelpers.enable();
        String executorOptions = defaults.get("spark.executor.extraJavaOptions", "");
        if (!executorOptions.contains(TIME_SOURCE_PROPERTY)) {
            executorOptions += " -D" + TIME_SOURCE_PROPERTY + "=" + SYSTEM_CLOCK;
        }
        if (!executorOptions.contains(NativeHelpers.PROPERTY)) {
            executorOptions += " -D" + NativeHelpers.PROPERTY + "=false";
        }
        builder.config("spark.executor.extraJavaOptions", executorOptions.trim());
        if (!defaults.contains("spark.executorEnv.OMP_WAIT_POLICY")) {
            // ND4J's OpenMP threads must not spin on cores that Spark's other task threads need
            builder.config("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE");
        }
        if (master.startsWith("local")) {
            // embedded runs bind to loopback: no surprises from the machine's hostname resolution
            builder.config("spark.driver.host", defaults.get("spark.driver.host", "127.0.0.1"))
                    .config("spark.driver.bindAddress", defaults.get("spark.driver.bindAddress", "127.0.0.1"));
            if (!defaults.contains("spark.ui.enabled")) {
                builder.config("spark.ui.enabled", "false");
            }
        }
        cloudCommitters(builder, defaults);
        if (master.startsWith("local") && !defaults.contains("spark.hadoop." + NioLocalFileSystem.IMPL_KEY)) {
            // local and local-cluster masters only: a YARN application master starts without the application's jar
            // on its class path, and every process that reads the setting must be able to load the class
            builder.config("spark.hadoop." + NioLocalFileSystem.IMPL_KEY, NioLocalFileSystem.class.getName());
        }
        for (Map.Entry<String, String> e : config.conf().entrySet()) {
            builder.config(e.getKey(), e.getValue());
        }
        boolean executorsInThisJvm = master.equals("local") || master.startsWith("local[");
        if (GpuCheck.cudaBackendPresent() && !executorsInThisJvm) {
            // local[N] runs its executor in this JVM, which was checked above; every other master has executor JVMs
            String plugins = config.conf().getOrDefault("spark.plugins", defaults.get("spark.plugins", ""));
            if (!plugins.contains(GpuCheckPlugin.class.getName())) {
                builder.config("spark.plugins", (plugins.isBlank() ? "" : plugins + ",") + GpuCheckPlugin.class.getName());
            }
        }
        SparkSession spark = builder.getOrCreate();
        spark.sparkContext().setLogLevel(System.getProperty("kd.spark.logLevel", "WARN"));
        return spark;
    }

    /**
     * Parquet writes go through Spark's cloud commit protocol when spark-hadoop-cloud is on the classpath: on
     * {@code s3a://} that binds the S3A magic committer (no rename, nothing visible before the job commits), on
     * every other file system it falls back to the classic {@code FileOutputCommitter}. Settings given in
     * spark-defaults or the job config win.
     */
    private static void cloudCommitters(SparkSession.Builder builder, SparkConf defaults) {
        if (!classPresent(CLOUD_COMMIT_PROTOCOL)) {
            return;
        }
        Map<String, String> settings = Map.of(
                "spark.sql.sources.commitProtocolClass", CLOUD_COMMIT_PROTOCOL,
                "spark.sql.parquet.output.committer.class", "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter",
                "spark.hadoop.fs.s3a.committer.name", "magic",
                "spark.hadoop.fs.s3a.committer.magic.enabled", "true");
        settings.forEach((key, value) -> {
            if (!defaults.contains(key)) {
                builder.config(key, value);
            }
        });
    }

    /**
     * Runs {@code work} with the SQL setting {@code key} at {@code value} and then unsets it again, unless the session
     * already sets {@code key} (the user's setting wins and is left alone). For settings read when a query is planned,
     * such as how file scans are split, that one job's actions need; the driver runs its actions one at a time.
     */
    public static void withSqlDefault(SparkSession spark, String key, String value, Runnable work) {
        if (spark.conf().contains(key)) {
            work.run();
            return;
        }
        spark.conf().set(key, value);
        try {
            work.run();
        } finally {
            spark.conf().unset(key);
        }
    }

    private static boolean classPresent(String name) {
        try {
            Class.forName(name, false, Sessions.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
