package org.kdspark.jobs.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.generate.GenerateImagesJob;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.Sessions;
import org.kdspark.jobs.trainteacher.TeacherJob;
import org.kdspark.kd.progress.Progress;
import org.kdspark.kd.provenance.BuildInfo;
import org.kdspark.kd.provenance.Provenance;

/**
 * How the pipeline's cost grows with the number of images ({@code kd bench scale}): for each size N, a photo-like RGB
 * set of N training and N/10 validation images ({@link GenerateImagesJob}, WebDataset shards of 1,000), then ingest,
 * soft labels and one distill epoch on each master, each case in a JVM of its own ({@link ScaleCase}) so that its peak
 * RSS is its own. Per case: seconds per 1,000 images of each step, the peak RSS of the driver and of the executors,
 * Spark's shuffle bytes in the epoch and the bytes of the training pixels.
 *
 * <p>What is timed per 1,000 images is each step's per-image work: ingest as the whole job (listing shards, decoding,
 * writing the table) over every image; soft labels as the job's labelling stage (read, label, encode, write) over the
 * rows labelled, the whole job's seconds beside it; the distill epoch as the epoch's training pass over the training
 * images, the whole job (dealing rows, scoring, export) beside it. Each case first runs the three jobs untimed on the
 * teacher's small set in the same JVMs ({@link ScaleCase}), so that class loading, native libraries and the JIT of every
 * JVM are not timed as if they were per-image work; fixed costs of each job (the teacher's export and verification,
 * the student's ONNX export) remain in the job figures and shrink per image as N grows.
 *
 * <p>One teacher labels every size: trained once (one epoch on a set of its own; its accuracy is not the point) and
 * supplied as {@code soft_labels.teacher_model}, because {@code kd train-teacher} holds its training
 * set in the driver (docs/limitations.md). The image table gets a partition per 25,000 images (at least the config's),
 * as a user would lay out a large set.
 */
public final class ScaleBench {

    private static final Progress PROGRESS = Progress.of("bench scale");
    /** Images per WebDataset shard of the generated sets, and per partition of the image table. */
    static final int SHARD_IMAGES = 1000;
    static final int IMAGES_PER_PARTITION = 25_000;

    private ScaleBench() {
    }

    /**
     * What to run: the training-set sizes, the masters (each size on each), where sets and runs go, the config the
     * cases start from, the JVMs' memory, the generated images' side, repetitions of every case (alternating: every
     * size on every master once, then again), and the teacher's training images.
     */
    public record Options(List<Integer> sizes, List<String> masters, Path work, Path config, String driverMemory, String executorMemory,
            int imageSize, int repeats, int teacherImages, String fashionMnist) {
        public Options {
            sizes = List.copyOf(sizes);
            masters = List.copyOf(masters);
        }
    }

    public static Map<String, Object> run(Options o) throws IOException, InterruptedException {
        String loadBefore = InferenceBench.loadAverage();
        Path work = Files.createDirectories(o.work().toAbsolutePath());
        Path sparkHome = sparkHome(work.resolve("spark-home"));
        String teacher;
        SparkSession spark = Sessions.start(ConfigLoader.load(o.config(), List.of("spark.master=local[*]")).spark(), "bench-scale-prepare");
        try {
            List<Integer> sets = new ArrayList<>(o.sizes());
            if (!sets.contains(o.teacherImages())) {
                sets.add(0, o.teacherImages());
            }
            for (int n : sets) {
                GenerateImagesJob.Result r = GenerateImagesJob.run(spark, new GenerateImagesJob.Settings(o.fashionMnist(), n, validation(n),
                        o.imageSize(), 1, 10, SHARD_IMAGES, 1, false), images(work, n).toUri().toString());
                PROGRESS.line("%,d + %,d images at %d px: %s in %.1f s", n, validation(n), o.imageSize(), r.reused() ? "already there" : "generated", r.seconds());
            }
            Path teacherRun = work.resolve("teacher");
            KdConfig tc = ConfigLoader.load(o.config(), concat(dataset(work, o.teacherImages()), List.of("output=" + teacherRun.toUri(),
                    "teacher.epochs=1", "spark.master=local[*]")));
            RunLayout tl = new RunLayout(teacherRun.toUri().toString());
            IngestJob.Result ingested = IngestJob.run(spark, tc, tl);
            TeacherJob.Result t = TeacherJob.run(spark, tc, tl);
            PROGRESS.line("teacher: %s, one epoch on %,d images, test accuracy %.4f", tc.teacher().architecture(), ingested.train(), t.accuracy());
            teacher = tl.teacherModel();
        } finally {
            spark.stop();
        }

        Map<String, Map<Integer, List<Map<String, Object>>>> cases = new LinkedHashMap<>();
        for (int repeat = 1; repeat <= o.repeats(); repeat++) {
            for (String master : o.masters()) {
                for (int n : o.sizes()) {
                    Map<String, Object> c = runCase(o, work, sparkHome, master, n, teacher, repeat);
                    cases.computeIfAbsent(master, k -> new LinkedHashMap<>()).computeIfAbsent(n, k -> new ArrayList<>()).add(c);
                    PROGRESS.line("%s, %,d images (round %d): ingest %.3f s/1k, soft labels %.3f s/1k, distill epoch %.3f s/1k,"
                            + " driver peak RSS %.0f MB, shuffle %,d of %,d pixel bytes", master, n, repeat, perThousand(c, "ingest_seconds", "images"),
                            labellingPerThousand(c), perThousand(c, "distill_epoch_seconds", "train_examples"), mb(((Number) c.get("driver_peak_rss_bytes")).longValue()),
                            c.get("shuffle_bytes_per_epoch"), c.get("pixel_bytes"));
                }
            }
        }

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sizes", o.sizes());
        out.put("validation_sizes", o.sizes().stream().map(ScaleBench::validation).toList());
        List<Map<String, Object>> runs = new ArrayList<>();
        for (Map.Entry<String, Map<Integer, List<Map<String, Object>>>> e : cases.entrySet()) {
            runs.add(figures(e.getKey(), o.sizes(), e.getValue()));
        }
        out.put("runs", runs);
        out.put("image_size", o.imageSize());
        out.put("repeats", o.repeats());
        out.put("driver_memory", o.driverMemory());
        out.put("executor_memory", o.executorMemory());
        out.put("config", o.config().toString());
        out.put("teacher_images", o.teacherImages());
        out.put("code", BuildInfo.code());
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("java", System.getProperty("java.version"));
        machine.put("load_before", loadBefore);
        machine.put("load_after", InferenceBench.loadAverage());
        out.put("machine", machine);
        return out;
    }

    /** Validation (test-split) images generated beside {@code n} training images. */
    static int validation(int n) {
        return Math.max(1, n / 10);
    }

    private static Path images(Path work, int n) {
        return work.resolve("images-" + n);
    }

    private static List<String> dataset(Path work, int n) {
        return List.of("dataset.format=webdataset", "dataset.path=" + images(work, n).resolve("webdataset").toUri(), "dataset.channels=3");
    }

    private static Map<String, Object> runCase(Options o, Path work, Path sparkHome, String master, int n, String teacher, int repeat)
            throws IOException, InterruptedException {
        Path run = work.resolve("run");
        deleteTree(run);
        deleteTree(work.resolve("run-warmup"));
        Path logs = Files.createDirectories(work.resolve("logs"));
        String label = String.format(Locale.ROOT, "%s-%d-r%d", master.replaceAll("[^A-Za-z0-9]+", "_"), n, repeat);
        Path json = logs.resolve(label + ".json");
        Path log = logs.resolve(label + ".log");
        Files.deleteIfExists(json);
        int partitions = Math.max(ConfigLoader.load(o.config(), List.of()).dataset().partitions(), (n + IMAGES_PER_PARTITION - 1) / IMAGES_PER_PARTITION);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(executorFlags());
        command.add("-Xmx" + o.driverMemory());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ScaleCase.class.getName());
        command.addAll(List.of(json.toString(), master, o.executorMemory(), o.config().toString(),
                images(work, o.teacherImages()).resolve("webdataset").toUri().toString()));
        command.addAll(dataset(work, n));
        command.addAll(List.of("output=" + run.toUri(), "dataset.partitions=" + partitions, "distill.epochs=1", "soft_labels.teacher_model=" + teacher));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putIfAbsent("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.12");
        Process p = pb.start();
        int exit = p.waitFor();
        try {
            if (exit != 0 || !Files.exists(json)) {
                List<String> lines = Files.readAllLines(log);
                throw new IllegalStateException(String.format(Locale.ROOT, "the %s case on %,d images failed (exit %d); the end of %s:%n%s", master, n, exit, log,
                        String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()))));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> c = Provenance.json().readValue(json.toFile(), Map.class);
            return c;
        } finally {
            deleteTree(run);
        }
    }

    /** One master's figures: per size the median over the repeats, and the spread of each per-image figure across sizes. */
    private static Map<String, Object> figures(String master, List<Integer> sizes, Map<Integer, List<Map<String, Object>>> bySize) {
        Map<String, Function<Map<String, Object>, Double>> figures = new LinkedHashMap<>();
        figures.put("ingest_seconds_per_1k", c -> perThousand(c, "ingest_seconds", "images"));
        figures.put("soft_labels_seconds_per_1k", ScaleBench::labellingPerThousand);
        figures.put("soft_labels_job_seconds_per_1k", c -> perThousand(c, "soft_labels_seconds", "labelled"));
        figures.put("distill_epoch_seconds_per_1k", c -> perThousand(c, "distill_epoch_seconds", "train_examples"));
        figures.put("distill_job_seconds_per_1k", c -> perThousand(c, "distill_seconds", "train_examples"));
        figures.put("driver_peak_rss_mb", c -> mb(((Number) c.get("driver_peak_rss_bytes")).longValue()));
        figures.put("executor_peak_rss_mb", ScaleBench::executorPeakMb);
        figures.put("shuffle_bytes_per_epoch", c -> ((Number) c.get("shuffle_bytes_per_epoch")).doubleValue());
        figures.put("pixel_bytes", c -> ((Number) c.get("pixel_bytes")).doubleValue());
        figures.put("test_accuracy", c -> ((Number) c.get("test_accuracy")).doubleValue());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("master", master);
        out.put("executors", bySize.values().iterator().next().get(0).get("executors"));
        for (Map.Entry<String, Function<Map<String, Object>, Double>> f : figures.entrySet()) {
            List<Double> medians = new ArrayList<>();
            List<List<Double>> ranges = new ArrayList<>();
            for (int n : sizes) {
                List<Double> values = bySize.get(n).stream().map(f.getValue()).sorted().toList();
                medians.add(median(values));
                ranges.add(List.of(values.get(0), values.get(values.size() - 1)));
            }
            out.put(f.getKey(), medians);
            if (bySize.get(sizes.get(0)).size() > 1) {
                out.put(f.getKey() + "_range", ranges);
            }
        }
        Map<String, Double> spread = new LinkedHashMap<>();
        for (String f : List.of("ingest_seconds_per_1k", "soft_labels_seconds_per_1k", "distill_epoch_seconds_per_1k", "driver_peak_rss_mb",
                "executor_peak_rss_mb")) {
            @SuppressWarnings("unchecked")
            List<Double> values = (List<Double>) out.get(f);
            spread.put(f, values.stream().mapToDouble(Double::doubleValue).max().orElseThrow() / values.stream().mapToDouble(Double::doubleValue).min().orElseThrow());
        }
        // largest over smallest across the sizes: 1.15 is "within 15%"
        out.put("max_over_min_across_sizes", spread);
        List<Double> shuffleShare = new ArrayList<>();
        for (int n : sizes) {
            Map<String, Object> c = bySize.get(n).get(0);
            shuffleShare.add(((Number) c.get("shuffle_bytes_per_epoch")).doubleValue() / ((Number) c.get("pixel_bytes")).doubleValue());
        }
        out.put("shuffle_share_of_pixel_bytes", shuffleShare);
        out.put("cases", sizes.stream().map(bySize::get).toList());
        return out;
    }

    /** The soft-label job's labelling stage (read, label, encode, write) per 1,000 rows labelled. */
    private static double labellingPerThousand(Map<String, Object> c) {
        @SuppressWarnings("unchecked")
        Map<String, Number> phases = (Map<String, Number>) c.get("soft_labels_phases");
        return 1000 * phases.get("label").doubleValue() / ((Number) c.get("labelled")).doubleValue();
    }

    private static double perThousand(Map<String, Object> c, String seconds, String count) {
        return 1000 * ((Number) c.get(seconds)).doubleValue() / ((Number) c.get(count)).doubleValue();
    }

    /** The largest executor's peak; a local master's executor is the driver's JVM. */
    private static double executorPeakMb(Map<String, Object> c) {
        @SuppressWarnings("unchecked")
        Map<String, Number> peaks = (Map<String, Number>) c.get("executor_peak_rss_bytes");
        return peaks.isEmpty() ? mb(((Number) c.get("driver_peak_rss_bytes")).longValue())
                : mb(peaks.values().stream().mapToLong(Number::longValue).max().orElseThrow());
    }

    private static double mb(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** This JVM's flags that child JVMs need too (module opens, system properties), without heap size, agents or class path. */
    static List<String> executorFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(f -> !f.startsWith("-Xmx") && !f.startsWith("-agentlib") && !f.startsWith("-javaagent")
                        && !f.startsWith("-Djava.class.path") && !f.startsWith("-Dsun.java.command") && !f.startsWith("-Dsun.java.launcher"))
                .toList();
    }

    /**
     * A SPARK_HOME for {@code local-cluster} masters, whose workers build each executor's class path from
     * {@code SPARK_HOME/jars}: links to the jars of this JVM's class path.
     */
    static Path sparkHome(Path home) throws IOException {
        Path jars = Files.createDirectories(home.resolve("jars"));
        Set<String> names = new HashSet<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry).toAbsolutePath();
            if (entry.endsWith(".jar") && names.add(p.getFileName().toString()) && !Files.exists(jars.resolve(p.getFileName()), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(jars.resolve(p.getFileName()), p);
            }
        }
        return home;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    /** The figures as a Markdown table, one row per master and size. */
    public static String markdown(Map<String, Object> r) {
        StringBuilder md = new StringBuilder();
        md.append("| master | images | ingest s/1k | soft labels s/1k | distill epoch s/1k | driver peak RSS MB | executor peak RSS MB |"
                + " shuffle bytes / pixel bytes |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        @SuppressWarnings("unchecked")
        List<Integer> sizes = (List<Integer>) r.get("sizes");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> runs = (List<Map<String, Object>>) r.get("runs");
        for (Map<String, Object> run : runs) {
            for (int i = 0; i < sizes.size(); i++) {
                md.append(String.format(Locale.ROOT, "| %s | %,d | %.3f | %.3f | %.3f | %.0f | %.0f | %.4f |%n", run.get("master"), sizes.get(i),
                        at(run, "ingest_seconds_per_1k", i), at(run, "soft_labels_seconds_per_1k", i), at(run, "distill_epoch_seconds_per_1k", i),
                        at(run, "driver_peak_rss_mb", i), at(run, "executor_peak_rss_mb", i), at(run, "shuffle_share_of_pixel_bytes", i)));
            }
        }
        md.append("\nlargest / smallest across sizes:\n");
        for (Map<String, Object> run : runs) {
            md.append(String.format(Locale.ROOT, "- %s: %s%n", run.get("master"), run.get("max_over_min_across_sizes")));
        }
        return md.toString();
    }

    @SuppressWarnings("unchecked")
    private static double at(Map<String, Object> run, String figure, int i) {
        return ((List<Number>) run.get(figure)).get(i).doubleValue();
    }
}
