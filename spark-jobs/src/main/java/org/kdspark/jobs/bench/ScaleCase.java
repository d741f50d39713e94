package org.kdspark.jobs.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.distill.DistillJob;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.spark.Sessions;
import org.kdspark.kd.provenance.Provenance;

/**
 * One case of {@link ScaleBench}, in a JVM of its own so that the process's peak RSS belongs to this case alone:
 * ingest, soft labels and the distill job (one epoch, by the config the parent passes) on one master, then the peak
 * RSS of this driver and of every executor JVM, written as JSON.
 *
 * <p>Before the timed steps the same three jobs run once, untimed, on a small warm-up set in the same JVMs, so that
 * what is timed is the steady per-image cost: class loading, native libraries, the JIT and the first use of ONNX
 * Runtime and ND4J in each JVM are paid there (their seconds are reported as {@code warmup_seconds}), as they are paid
 * once in a pipeline whose executors live through all its steps.
 *
 * <p>Arguments: the JSON file to write, the master, the executors' memory, the config YAML, the warm-up set's
 * {@code dataset.path} ({@code none}: no warm-up), then config overrides ({@code key=value}). The executors (any
 * master but {@code local}) get this JVM's class path and flags.
 */
public final class ScaleCase {

    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\s*(\\d+)\\s*,.*");

    private ScaleCase() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 5) {
            throw new IllegalArgumentException("usage: ScaleCase JSON MASTER EXECUTOR_MEMORY CONFIG WARMUP_PATH|none [KEY=VALUE...]");
        }
        Path json = Path.of(args[0]);
        String master = args[1];
        List<String> overrides = new ArrayList<>(Arrays.asList(args).subList(5, args.length));
        overrides.add("spark.master=" + master);
        KdConfig config = load(Path.of(args[3]), overrides, args[2]);
        SparkSession spark = Sessions.start(config.spark(), "bench-scale");
        int status = 1;
        try {
            int executors = awaitExecutors(spark, master);
            HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
            RunLayout layout = new RunLayout(files.qualify(config.output()));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("master", master);
            out.put("executors", executors);
            if (!args[4].equals("none")) {
                List<String> warm = new ArrayList<>(overrides);
                String warmOutput = layout.root() + "-warmup";
                warm.addAll(List.of("dataset.path=" + args[4], "output=" + warmOutput));
                KdConfig warmConfig = load(Path.of(args[3]), warm, args[2]);
                RunLayout warmLayout = new RunLayout(warmOutput);
                Map<String, Double> seconds = new LinkedHashMap<>();
                seconds.put("ingest", IngestJob.run(spark, warmConfig, warmLayout).seconds());
                seconds.put("soft_labels", SoftLabelJob.run(spark, warmConfig, warmLayout).seconds());
                seconds.put("distill", DistillJob.run(spark, warmConfig, warmLayout, "kd").seconds());
                out.put("warmup_seconds", seconds);
                files.delete(warmOutput);
                out.put("driver_peak_rss_after_warmup_bytes", PeakRss.ofThisProcess());
            }
            IngestJob.Result ingest = IngestJob.run(spark, config, layout);
            if (ingest.reused()) {
                throw new IllegalStateException(config.output() + " already holds an image table: a case starts from an empty run directory");
            }
            out.put("images", ingest.train() + ingest.test());
            out.put("train", ingest.train());
            out.put("test", ingest.test());
            out.put("rejected", ingest.rejected());
            out.put("ingest_seconds", ingest.seconds());
            SoftLabelJob.Result labels = SoftLabelJob.run(spark, config, layout);
            out.put("labelled", labels.labelled());
            out.put("soft_labels_seconds", labels.seconds());
            out.put("soft_labels_phases", labels.phases());
            out.put("store_bytes_per_row", labels.bytesPerRow());
            DistillJob.Result distill = DistillJob.run(spark, config, layout, "kd");
            out.put("train_examples", distill.trainExamples());
            out.put("distill_seconds", distill.seconds());
            out.put("distill_epoch_seconds", distill.history().get(0).seconds());
            out.put("test_accuracy", distill.scores().accuracy());
            out.put("shuffle_bytes_per_epoch", distill.shuffleBytesPerEpoch().get(0));
            out.put("pixel_bytes", distill.pixelBytes());
            Map<String, String> executorMemory = new TreeMap<>();
            Map<String, Long> executorPeaks = executors == 0 ? Map.of() : executorPeaks(spark, executors, executorMemory);
            out.put("executor_peak_rss_bytes", executorPeaks);
            out.put("executor_memory_at_end", executorMemory);
            out.put("driver_peak_rss_bytes", PeakRss.ofThisProcess());
            out.put("driver_memory_at_end", PeakRss.breakdown());
            out.put("driver_live_heap_after_gc_bytes", PeakRss.liveHeapAfterGc());
            Files.writeString(json, Provenance.json().writerWithDefaultPrettyPrinter().writeValueAsString(out));
            status = 0;
        } catch (RuntimeException | IOException | Error e) {
            // the parent reports the end of this JVM's log; exit below even if a library left a thread running
            e.printStackTrace();
        } finally {
            spark.stop();
        }
        System.exit(status);
    }

    private static KdConfig load(Path config, List<String> overrides, String executorMemory) {
        return ConfigLoader.load(config, overrides).withSpark(s -> s
                .withConf("spark.executor.memory", executorMemory)
                .withConf("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .withConf("spark.executor.extraJavaOptions", String.join(" ", ScaleBench.executorFlags())));
    }

    /** Waits until every executor of a {@code local-cluster[N,C,M]} master has registered; returns N (0 for local masters). */
    private static int awaitExecutors(SparkSession spark, String master) {
        Matcher m = LOCAL_CLUSTER.matcher(master);
        if (!m.matches()) {
            return master.startsWith("local") ? 0 : spark.sparkContext().getExecutorMemoryStatus().size() - 1;
        }
        int wanted = Integer.parseInt(m.group(1));
        long deadline = System.nanoTime() + 120_000_000_000L;
        // the driver's block manager is listed too
        while (spark.sparkContext().getExecutorMemoryStatus().size() < wanted + 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(wanted + " executors did not register in 120 s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return wanted;
    }

    /**
     * Each executor's peak RSS, read from its own {@code /proc/self/status}, and into {@code memory} its heap and
     * off-heap bytes now: a job of a few tasks per executor, each long enough that the scheduler spreads them, repeated
     * until every executor has answered.
     */
    static Map<String, Long> executorPeaks(SparkSession spark, int executors, Map<String, String> memory) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Map<String, Long> peaks = new TreeMap<>();
        int tasks = 4 * executors;
        for (int attempt = 0; attempt < 5 && peaks.size() < executors; attempt++) {
            List<String> answers = jsc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks).map(i -> {
                Thread.sleep(300);
                return SparkEnv.get().executorId() + "=" + PeakRss.ofThisProcess() + "=" + PeakRss.breakdown();
            }).collect();
            for (String a : answers) {
                String[] parts = a.split("=", 3);
                peaks.merge(parts[0], Long.parseLong(parts[1]), Math::max);
                memory.put(parts[0], parts[2]);
            }
        }
        if (peaks.size() < executors) {
            throw new IllegalStateException("only executors " + peaks.keySet() + " of " + executors + " ran the RSS probe");
        }
        return peaks;
    }
}
