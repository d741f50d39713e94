package org.kdspark.jobs.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.config.LabellingBackend;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.onnx.OnnxModelExport;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.TableImages;
import org.kdspark.jobs.teacher.OnnxTeachers;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.eval.Evaluation;
import org.kdspark.kd.eval.Metrics;
import org.kdspark.kd.eval.Throughput;
import org.kdspark.kd.model.ModelCost;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.onnx.OnnxAttentionOutputs;
import org.kdspark.kd.onnx.OnnxClassifier;
import org.kdspark.kd.onnx.VerifiedOnnxExport;
import org.kdspark.kd.progress.Progress;
import org.kdspark.kd.provenance.BuildInfo;
import org.kdspark.kd.provenance.Provenance;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code kd bench inference}: the KD value table. In one JVM, on the same images of a finished run, it measures the
 * teacher and the KD student in DL4J and in ONNX Runtime (images/s at batch 1 and 256, parameters, file sizes, test
 * accuracy), the soft-label job with each backend, and a plain single-JVM ONNX Runtime loop over the same images.
 *
 * <p>{@code roofline_fraction = images_per_s * mflops_per_image / 1000 / roof_gflops}: the share of the machine's
 * matrix-multiply rate that the convolutions and dense layers of the teacher ({@link ModelCost}) reach. The roof is
 * the fastest float GEMM measured in the same run on all cores: ND4J's ({@link Throughput#gemmGflops}) and ONNX
 * Runtime's ({@link Throughput#onnxGemmGflops}), whose kernels outrun ND4J's on AVX-512 machines, the latter before
 * and again after the jobs.
 * {@code ratio} is the soft-label job's ONNX images/s over the plain loop's: what Spark, Parquet and the row
 * handling cost. The ONNX jobs and the loop run {@value #REPEATS} times each, the loop's passes alternating with the
 * ONNX job's runs in the same JVM so that both meet the same moments of a shared machine; the figures are the
 * medians, with every run listed. Before its timed runs each ONNX job runs {@value #WARMUP} times untimed (listed
 * too), so that a warm job is compared with the warm loop.
 *
 * <p>The run directory is only read: the soft-label jobs write into a scratch directory holding a copy of the run's
 * image table and teacher.
 */
public final class InferenceBench {

    private static final int BIG_BATCH = 256;
    /** 2048: ND4J's GEMM rate still grows from 1024 (66 GFLOP/s here) to 2048 (102-110 GFLOP/s) on 2 cores. */
    static final int GEMM_N = 2048;
    /**
     * Timed runs of each warm ONNX job and of the plain loop; the medians are reported. Five, not three: the first
     * timed run is often the slowest (the job's code paths still compiling), and a median of three would then rest on
     * the other two alone.
     */
    static final int REPEATS = 5;
    /**
     * Untimed runs of each ONNX job after the cold one. A JVM's first soft-label jobs share its two cores with the JIT
     * compiler, which is still compiling Spark's planning and Parquet's writer code, reached a little further by each
     * job: per-thread CPU times of 14 jobs in one JVM had the compiler threads at 1.28 core-seconds
     * in the first warm job, 0.29-0.92 in the next five and 0.22-0.40 from the seventh on, against 6.2-6.9 in the
     * tasks. The plain loop's few methods are compiled after its first batch.
     */
    static final int WARMUP = 5;

    private InferenceBench() {
    }

    /** Runs every measurement and returns the figures as a JSON-ready map; {@code scratch} is a local directory. */
    public static Map<String, Object> run(SparkSession spark, KdConfig config, RunLayout run, Path scratch, double seconds) {
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        Map<String, Object> out = header("inference-bench", run);
        out.put("seconds_per_case", seconds);
        log("ND4J GEMM %dx%d...", GEMM_N, GEMM_N);
        double gemm = Throughput.gemmGflops(GEMM_N, Math.max(2, seconds / 2));
        out.put("gemm_gflops", gemm);
        int cores = Runtime.getRuntime().availableProcessors();
        log("ONNX Runtime GEMM %dx%d on %d threads...", GEMM_N, GEMM_N, cores);
        double onnxGemm = Throughput.onnxGemmGflops(GEMM_N, Math.max(2, seconds / 2), cores);
        out.put("onnx_gemm_gflops", onnxGemm);
        double roof = Math.max(gemm, onnxGemm);
        log("GEMM: ND4J %.1f GFLOP/s, ONNX Runtime %.1f GFLOP/s", gemm, onnxGemm);

        ImageTable.Opened table = ImageTable.open(spark, run.images());
        LabeledImages test = TableImages.collect(table, ImageTable.TEST).images();
        InputSpec spec = test.spec();
        out.put("test_images", test.count());

        Map<String, Object> models = new LinkedHashMap<>();
        double teacherMflops = Double.NaN;
        for (String name : List.of("teacher", "kd", "baseline")) {
            String zipUri = name.equals("teacher") ? run.teacherModel() : run.studentModel(name);
            if (!files.exists(zipUri)) {
                log("no %s model at %s: skipped", name, zipUri);
                continue;
            }
            Map<String, Object> m = model(files, zipUri, test, seconds, !name.equals("baseline"));
            models.put(name, m);
            if (name.equals("teacher")) {
                teacherMflops = (Double) m.get("mflops_per_image");
            }
        }
        out.put("models", models);

        Map<String, Map<String, Object>> jobs;
        Map<String, Object> loop;
        try (PlainOnnxLoop plain = new PlainOnnxLoop(files, run, table, spec, config.softLabels())) {
            jobs = softLabelJobs(spark, config, run, scratch, teacherMflops, roof, plain);
            loop = plain.figures(teacherMflops, roof);
        }
        // the roof again after the jobs: on a shared machine one GEMM can meet a slow moment, and a roof must not
        // be lower than what the machine showed it can do
        double onnxGemmAfter = Throughput.onnxGemmGflops(GEMM_N, Math.max(2, seconds / 2), cores);
        out.put("onnx_gemm_gflops_after", onnxGemmAfter);
        log("ONNX Runtime GEMM after the jobs: %.1f GFLOP/s", onnxGemmAfter);
        if (onnxGemmAfter > roof) {
            roof = onnxGemmAfter;
            for (Map<String, Object> m : Stream.concat(jobs.values().stream(), Stream.of(loop)).toList()) {
                m.put("roofline_fraction", (Double) m.get("images_per_s") * teacherMflops / 1000 / roof);
            }
        }
        out.put("roof_gflops", roof);
        out.put("roof", roof == gemm ? "nd4j_gemm" : "onnx_gemm");
        out.put("soft_label_job", jobs);
        out.put("onnx_loop", loop);
        if (jobs.containsKey("onnx")) {
            out.put("ratio", (Double) jobs.get("onnx").get("images_per_s") / (Double) loop.get("images_per_s"));
        }
        out.put("load_after", loadAverage());
        return out;
    }

    /** One model: size, cost, accuracy and throughput in DL4J and, when {@code speed}, in ONNX Runtime. */
    private static Map<String, Object> model(HadoopFiles files, String zipUri, LabeledImages test, double seconds, boolean speed) {
        byte[] zip = files.readBytes(zipUri);
        ComputationGraph graph = ModelFiles.graphFromZip(zip, false);
        InputSpec spec = test.spec();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", zipUri);
        m.put("params", graph.numParams());
        m.put("zip_bytes", (long) zip.length);
        m.put("mflops_per_image", ModelCost.mflopsPerImage(graph, InputType.convolutional(spec.height(), spec.width(), spec.channels())));
        log("%s: DL4J accuracy on %d test images...", zipUri, test.count());
        float[] dl4jLogits = Evaluation.logits(graph, test);
        m.put("dl4j_test_accuracy", Metrics.accuracy(dl4jLogits, test.labels()));
        VerifiedOnnxExport.Result export = OnnxModelExport.export(graph, zipUri, files.sha256(zipUri), ModelFiles.provenanceFromZip(zip),
                List.of(OnnxClassifier.LOGITS), test.head(OnnxModelExport.VERIFY_IMAGES), "test split");
        m.put("onnx_bytes", (long) export.bytes().length);
        m.put("onnx_verified_max_abs_diff", export.verification().maxAbsDiff());
        int cores = Runtime.getRuntime().availableProcessors();
        try (OnnxClassifier onnx = OnnxClassifier.open(export.bytes(), spec, OnnxClassifier.LOGITS, List.of(), cores, false)) {
            float[] ortLogits = new float[dl4jLogits.length];
            int k = dl4jLogits.length / test.count();
            for (int first = 0; first < test.count(); first += BIG_BATCH) {
                int n = Math.min(BIG_BATCH, test.count() - first);
                System.arraycopy(onnx.run(test.pixels(), first, n).logits(), 0, ortLogits, first * k, n * k);
            }
            m.put("onnx_test_accuracy", Metrics.accuracy(ortLogits, test.labels()));
            double diff = 0;
            for (int i = 0; i < ortLogits.length; i++) {
                diff = Math.max(diff, Math.abs(ortLogits[i] - dl4jLogits[i]));
            }
            m.put("onnx_test_logits_max_abs_diff", diff);
            if (speed) {
                for (int batch : new int[] {1, BIG_BATCH}) {
                    INDArray x = spec.toInput(test.pixels(), 0, batch);
                    float[] xf = spec.toFloats(test.pixels(), 0, batch);
                    log("%s: batch %d, DL4J then ONNX Runtime (%.0f s each)...", zipUri, batch, seconds);
                    m.put("dl4j_images_per_s_batch" + batch, Throughput.imagesPerSecond(() -> graph.outputSingle(false, x), batch, seconds));
                    m.put("onnx_images_per_s_batch" + batch, Throughput.imagesPerSecond(() -> onnx.run(xf, batch), batch, seconds));
                }
            }
        }
        return m;
    }

    /** The soft-label job on a copy of the run's images and teacher, once per backend. */
    private static Map<String, Map<String, Object>> softLabelJobs(SparkSession spark, KdConfig config, RunLayout run, Path scratch,
            double mflops, double roof, PlainOnnxLoop loop) {
        Map<String, Map<String, Object>> jobs = new LinkedHashMap<>();
        // the third run stores logits only: the difference to "onnx" is what encoding and writing the feature maps cost
        for (String variant : List.of("dl4j", "onnx", "onnx-logits-only")) {
            // the loop's passes alternate with the ONNX job's runs, so that both see the same moments of a shared machine
            Runnable afterEachRun = variant.equals("onnx") ? loop::pass : () -> { };
            jobs.put(variant, softLabelJob(spark, config, run, scratch, variant, mflops, roof, afterEachRun));
        }
        return jobs;
    }

    /**
     * One timed soft-label job ({@code dl4j}, {@code onnx} or {@code onnx-logits-only}) on a copy of the run's image
     * table and teacher under {@code scratch/soft-labels-VARIANT}; the store it writes stays there. An ONNX variant
     * runs first on a teacher without a kept export ({@code cold_*}: the job exports and verifies it), then
     * {@value #WARMUP} times untimed ({@code warmup_seconds_runs}) and {@value #REPEATS} times timed, each into a new
     * store, reusing the export the first job kept, as every later job on that teacher does: the median of the timed
     * runs is the headline.
     */
    static Map<String, Object> softLabelJob(SparkSession spark, KdConfig config, RunLayout run, Path scratch, String variant, double mflops,
            double roof, Runnable afterEachRun) {
        String backend = variant.startsWith("onnx") ? "onnx" : variant;
        Path root = scratch.resolve("soft-labels-" + variant);
        copyTree(localPath(run.images()), root.resolve("images"));
        copyTree(localPath(run.teacherDir()), root.resolve("teacher"));
        LabellingBackend labelling = backend.equals("onnx") ? LabellingBackend.ONNX : LabellingBackend.DL4J;
        KdConfig c = config.withSoftLabels(s -> {
            KdConfig.SoftLabels t = s.withBackend(labelling).withTeacher(null, s.teacherModel());
            return variant.endsWith("logits-only") ? t.withFeatureTaps(List.of()) : t;
        });
        RunLayout layout = new RunLayout(root.toUri().toString());
        Map<String, Object> j = new LinkedHashMap<>();
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        if (backend.equals("onnx")) {
            files.delete(layout.teacherDir() + "/" + OnnxTeachers.CACHED);
            files.delete(layout.teacherDir() + "/" + OnnxTeachers.CACHED + ".json");
            log("soft-label job, %s, exporting the teacher...", variant);
            SoftLabelJob.Result cold = SoftLabelJob.run(spark, c, layout);
            j.put("cold_seconds", cold.seconds());
            j.put("cold_images_per_s", cold.rows() / cold.seconds());
            j.put("cold_phase_seconds", cold.phases());
            files.delete(layout.softLabels());
            List<Double> warmup = new ArrayList<>();
            List<Double> warmupJit = new ArrayList<>();
            for (int i = 0; i < WARMUP; i++) {
                log("soft-label job, %s, warm-up run %d of %d...", variant, i + 1, WARMUP);
                double jit = TaskTimes.jitSeconds();
                warmup.add(SoftLabelJob.run(spark, c, layout).seconds());
                warmupJit.add(TaskTimes.jitSeconds() - jit);
                files.delete(layout.softLabels());
            }
            j.put("warmup_seconds_runs", warmup);
            // what the JIT compiler spent in each: it falls over a JVM's first jobs, the reason for the warm-up
            j.put("warmup_jit_seconds_runs", warmupJit);
        }
        int repeats = backend.equals("onnx") ? REPEATS : 1;
        List<TaskTimes.Measured<SoftLabelJob.Result>> runs = new ArrayList<>();
        int cores = spark.sparkContext().defaultParallelism();
        for (int i = 0; i < repeats; i++) {
            if (i > 0) {
                files.delete(layout.softLabels());
            }
            log("soft-label job, %s%s...", variant, repeats > 1 ? String.format(Locale.ROOT, ", run %d of %d", i + 1, repeats) : "");
            runs.add(TaskTimes.of(spark.sparkContext(), "bench-soft-labels-" + variant + "-" + i, cores,
                    () -> SoftLabelJob.run(spark, c, layout), SoftLabelJob.Result::seconds));
            afterEachRun.run();
        }
        List<TaskTimes.Measured<SoftLabelJob.Result>> bySeconds = runs.stream()
                .sorted(java.util.Comparator.comparingDouble(m -> m.result().seconds())).toList();
        SoftLabelJob.Result r = bySeconds.get(bySeconds.size() / 2).result();
        j.put("rows", r.rows());
        j.put("seconds", r.seconds());
        j.put("seconds_runs", runs.stream().map(m -> m.result().seconds()).toList());
        j.put("jit_seconds_runs", runs.stream().map(m -> m.taskTimes().get("jit_seconds")).toList());
        // the median run's tasks: how much of its wall-clock time the cores spent in them, and doing what
        j.put("task_times", bySeconds.get(bySeconds.size() / 2).taskTimes());
        double ips = r.rows() / r.seconds();
        j.put("images_per_s", ips);
        j.put("roofline_fraction", ips * mflops / 1000 / roof);
        j.put("feature_taps", c.softLabels().featureTaps());
        j.put("bytes_per_row", r.bytesPerRow());
        j.put("phase_seconds", r.phases());
        j.put("store", root.resolve("soft-labels").toUri().toString());
        log("soft-label job %s: %d rows in %.1f s (median of %s) = %.0f images/s", variant, r.rows(), r.seconds(), j.get("seconds_runs"), ips);
        return j;
    }

    /**
     * What the machine does without Spark: every image of the table, normalised and run through the teacher's ONNX
     * export at batch 256 on all cores, in this JVM; each {@link #pass()} is one timed pass, and the median pass is
     * the figure. It asks for the outputs the soft-label job asks for: the logits, and each feature tap as a feature
     * map or, where the store keeps its attention map, as the attention map computed in the graph. Pixels are in
     * memory already; the time covers normalisation, inference and copying the outputs out.
     */
    static final class PlainOnnxLoop implements AutoCloseable {

        private final LabeledImages train;
        private final LabeledImages test;
        private final List<String> outputs;
        private final OnnxClassifier onnx;
        private final int threads = Runtime.getRuntime().availableProcessors();
        private final List<Double> passes = new ArrayList<>();
        private long images;

        PlainOnnxLoop(HadoopFiles files, RunLayout run, ImageTable.Opened table, InputSpec spec, KdConfig.SoftLabels sl) {
            byte[] zip = files.readBytes(run.teacherModel());
            ComputationGraph teacher = ModelFiles.graphFromZip(zip, false);
            train = TableImages.collect(table, ImageTable.TRAIN).images();
            test = TableImages.collect(table, ImageTable.TEST).images();
            List<String> taps = sl.featureTaps();
            VerifiedOnnxExport.Result export = OnnxModelExport.export(teacher, run.teacherModel(), files.sha256(run.teacherModel()),
                    ModelFiles.provenanceFromZip(zip), withLogits(taps), test.head(OnnxModelExport.VERIFY_IMAGES), "test split");
            List<String> attention = taps.stream().filter(t -> sl.tapEncoding(t) instanceof ColumnEncoding.AttentionMap).toList();
            outputs = OnnxAttentionOutputs.outputNames(taps, attention);
            onnx = OnnxClassifier.open(OnnxAttentionOutputs.add(export.bytes(), attention), spec, OnnxClassifier.LOGITS, outputs, threads, false);
            onnx.run(test.pixels(), 0, BIG_BATCH); // warm-up
        }

        /** One timed pass over every image. */
        void pass() {
            log("plain ONNX Runtime loop over %d images, pass %d...", train.count() + test.count(), passes.size() + 1);
            long n = 0;
            long start = System.nanoTime();
            for (LabeledImages block : List.of(train, test)) {
                for (int first = 0; first < block.count(); first += BIG_BATCH) {
                    n += onnx.run(block.pixels(), first, Math.min(BIG_BATCH, block.count() - first)).count();
                }
            }
            passes.add((System.nanoTime() - start) / 1e9);
            images = n;
        }

        Map<String, Object> figures(double mflops, double roof) {
            if (passes.isEmpty()) {
                pass();
            }
            double seconds = passes.stream().sorted().toList().get(passes.size() / 2);
            Map<String, Object> loop = new LinkedHashMap<>();
            loop.put("images", images);
            loop.put("seconds", seconds);
            loop.put("seconds_runs", List.copyOf(passes));
            loop.put("threads", threads);
            loop.put("outputs", withLogits(outputs));
            loop.put("images_per_s", images / seconds);
            loop.put("roofline_fraction", images / seconds * mflops / 1000 / roof);
            return loop;
        }

        @Override
        public void close() {
            onnx.close();
        }
    }

    /** The JSON as the table of docs/performance.md: one line per model, then the soft-label job figures. */
    @SuppressWarnings("unchecked")
    public static String markdown(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        sb.append("| model | params | DL4J zip | ONNX file | MFLOPs/image | test acc. DL4J | test acc. ONNX | DL4J img/s b=1 | ONNX img/s b=1 | DL4J img/s b=256 | ONNX img/s b=256 |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Object> e : ((Map<String, Object>) r.get("models")).entrySet()) {
            Map<String, Object> m = (Map<String, Object>) e.getValue();
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %s | %s | %.2f | %.2f%% | %.2f%% | %s | %s | %s | %s |%n", e.getKey(),
                    ((Number) m.get("params")).longValue(), kb(m.get("zip_bytes")), kb(m.get("onnx_bytes")), (Double) m.get("mflops_per_image"),
                    100 * (Double) m.get("dl4j_test_accuracy"), 100 * (Double) m.get("onnx_test_accuracy"), rate(m.get("dl4j_images_per_s_batch1")),
                    rate(m.get("onnx_images_per_s_batch1")), rate(m.get("dl4j_images_per_s_batch256")), rate(m.get("onnx_images_per_s_batch256"))));
        }
        sb.append("\n| soft-label job (teacher), backend | rows | seconds | images/s | roofline_fraction | first job on the teacher (exports and verifies it) |\n"
                + "|---|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Map<String, Object>> e : ((Map<String, Map<String, Object>>) r.get("soft_label_job")).entrySet()) {
            Map<String, Object> j = e.getValue();
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %.1f | %,.0f | %.3f | %s |%n", e.getKey(), ((Number) j.get("rows")).longValue(),
                    (Double) j.get("seconds"), (Double) j.get("images_per_s"), (Double) j.get("roofline_fraction"),
                    j.containsKey("cold_seconds") ? String.format(Locale.ROOT, "%.1f s, %,.0f images/s", (Double) j.get("cold_seconds"),
                            (Double) j.get("cold_images_per_s")) : "-"));
        }
        Map<String, Object> loop = (Map<String, Object>) r.get("onnx_loop");
        sb.append(String.format(Locale.ROOT, "| plain ONNX Runtime loop, one JVM, %d threads | %,d | %.1f | %,.0f | %.3f |%n",
                ((Number) loop.get("threads")).intValue(), ((Number) loop.get("images")).longValue(), (Double) loop.get("seconds"),
                (Double) loop.get("images_per_s"), (Double) loop.get("roofline_fraction")));
        sb.append(String.format(Locale.ROOT, "%nratio (soft-label job with ONNX / plain loop): %.3f; roof: %.1f GFLOP/s (float GEMM %dx%d, the fastest of "
                + "ND4J %.1f and ONNX Runtime %.1f before and %.1f after the jobs)%n", r.get("ratio") == null ? Double.NaN : (Double) r.get("ratio"),
                (Double) r.get("roof_gflops"), GEMM_N, GEMM_N, (Double) r.get("gemm_gflops"), (Double) r.get("onnx_gemm_gflops"),
                (Double) r.get("onnx_gemm_gflops_after")));
        Map<String, Map<String, Object>> jobs = (Map<String, Map<String, Object>>) r.get("soft_label_job");
        if (jobs.containsKey("onnx") && jobs.get("onnx").get("task_times") instanceof Map<?, ?> t) {
            sb.append(String.format(Locale.ROOT, "ONNX job, median run: its %d tasks held the cores %.0f%% of its wall-clock time "
                    + "(%.2f core-seconds idle: %.2f s of driver work before the first task and after the last, %.2f core-seconds between); "
                    + "inside them %.2f s of CPU in %.2f s, %.2f s deserialising tasks, %.2f s in GC; the JVM's CPU time over the job %.2f s; "
                    + "the JIT compiler compiled for %.2f s%n",
                    ((Number) t.get("tasks")).intValue(), 100 * (Double) t.get("busy_fraction"), (Double) t.get("idle_core_seconds"),
                    (Double) t.get("outside_tasks_seconds"), (Double) t.get("span_idle_core_seconds"), (Double) t.get("cpu_seconds"),
                    (Double) t.get("task_seconds"), (Double) t.get("deserialize_seconds"), (Double) t.get("gc_seconds"),
                    (Double) t.get("jvm_cpu_seconds"), t.get("jit_seconds") instanceof Double jit ? jit : Double.NaN));
        }
        return sb.toString();
    }

    private static List<String> withLogits(List<String> taps) {
        List<String> all = new ArrayList<>(List.of(OnnxClassifier.LOGITS));
        all.addAll(taps);
        return all;
    }

    private static String kb(Object bytes) {
        return bytes == null ? "-" : String.format(Locale.ROOT, "%,.0f KB", ((Number) bytes).longValue() / 1024.0);
    }

    private static String rate(Object v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%,.0f", (Double) v);
    }

    /** The first fields of every bench's JSON: what it is, when, on which run, code and machine. */
    static Map<String, Object> header(String kind, RunLayout run) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", kind);
        out.put("schema_version", 1);
        out.put("created_at", Instant.now().toString());
        out.put("run", run.root());
        out.put("code", BuildInfo.code());
        out.put("machine", machine());
        return out;
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("omp_num_threads", System.getenv("OMP_NUM_THREADS"));
        m.put("openblas_coretype", System.getenv("OPENBLAS_CORETYPE"));
        m.put("java", System.getProperty("java.version"));
        m.put("load_before", loadAverage());
        return m;
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static Path localPath(String uri) {
        if (!uri.startsWith("file:")) {
            throw new UserInputException("kd bench reads a local run directory (file:), got " + uri);
        }
        return Path.of(URI.create(uri));
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
        }
    }

    static void log(String format, Object... args) {
        Progress.of("bench").line(format, args);
    }

    static String json(Map<String, Object> r) {
        try {
            return Provenance.json().writeValueAsString(r);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
