package org.kdspark.jobs.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.EncodingSizes;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.TableImages;
import org.kdspark.jobs.teacher.Dl4jTeacherBackend;
import org.kdspark.jobs.trainteacher.TeacherJob;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.eval.Throughput;
import org.kdspark.kd.model.ModelCost;
import org.kdspark.kd.model.ModelFiles;

/**
 * {@code kd bench soft-labels}: the soft-label job with the DL4J teacher against a plain single-JVM DL4J inference
 * loop over the same images, in one run.
 *
 * <p>The job runs on a copy of the run's image table and teacher (the run is only read) on the session's master
 * ({@code local[2]} by default: both cores). The plain loop holds every image decoded in memory already and runs the
 * teacher exactly as each of the job's tasks does ({@link Dl4jTeacherBackend#label(ComputationGraph, InputSpec, List,
 * byte[], int, int)}: normalise, forward pass, logits and taps copied out) at the same batch size, in one thread whose
 * ND4J uses every core. {@code ratio} is the job's images/s over the loop's: what Spark, Parquet, hashing and encoding
 * cost. {@code roofline_fraction = spark_images_per_s * teacher_mflops_per_image / 1000 / gemm_gflops}, with the GEMM
 * rate measured by an ND4J float matrix multiply in the same run. {@code bytes_per_row} re-encodes the job's store
 * with each per-column encoding ({@link EncodingSizes}).
 */
public final class SoftLabelBench {

    private SoftLabelBench() {
    }

    public static Map<String, Object> run(SparkSession spark, KdConfig config, RunLayout run, Path scratch, double gemmSeconds) {
        IngestJob.run(spark, config, run);
        TeacherJob.run(spark, config, run);
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        Map<String, Object> out = InferenceBench.header("soft-label-bench", run);
        out.put("master", spark.sparkContext().master());

        InferenceBench.log("ND4J GEMM %dx%d...", InferenceBench.GEMM_N, InferenceBench.GEMM_N);
        double gemm = Throughput.gemmGflops(InferenceBench.GEMM_N, gemmSeconds);
        ComputationGraph teacher = ModelFiles.graphFromZip(files.readBytes(run.teacherModel()), false);
        ImageTable.Opened table = ImageTable.open(spark, run.images());
        LabeledImages train = TableImages.collect(table, ImageTable.TRAIN).images();
        LabeledImages test = TableImages.collect(table, ImageTable.TEST).images();
        InputSpec spec = test.spec();
        double mflops = ModelCost.mflopsPerImage(teacher, InputType.convolutional(spec.height(), spec.width(), spec.channels()));

        Map<String, Object> job = InferenceBench.softLabelJob(spark, config, run, scratch, "dl4j", mflops, gemm, () -> { });
        double sparkRate = (Double) job.get("images_per_s");

        int batch = config.softLabels().batchSize();
        List<String> taps = config.softLabels().featureTaps();
        Dl4jTeacherBackend.label(teacher, spec, taps, test.pixels(), 0, Math.min(batch, test.count())); // warm-up
        InferenceBench.log("plain DL4J loop over %d images at batch %d...", train.count() + test.count(), batch);
        long images = 0;
        long start = System.nanoTime();
        for (LabeledImages block : List.of(train, test)) {
            for (int first = 0; first < block.count(); first += batch) {
                images += Dl4jTeacherBackend.label(teacher, spec, taps, block.pixels(), first, Math.min(batch, block.count() - first)).count();
            }
        }
        double loopSeconds = (System.nanoTime() - start) / 1e9;
        double plainRate = images / loopSeconds;
        InferenceBench.log("plain DL4J loop: %d images in %.1f s = %.0f images/s", images, loopSeconds, plainRate);

        Map<String, Object> bytes = new LinkedHashMap<>();
        bytes.put("as_written", job.get("bytes_per_row"));
        if (!taps.isEmpty()) {
            InferenceBench.log("re-encoding the store with each encoding...");
            bytes.putAll(EncodingSizes.bytesPerRow(spark, (String) job.get("store"), taps.get(0), scratch.resolve("encodings").toUri().toString()));
        }

        out.put("spark_images_per_s", sparkRate);
        out.put("plain_images_per_s", plainRate);
        out.put("ratio", sparkRate / plainRate);
        out.put("teacher_mflops_per_image", mflops);
        out.put("gemm_gflops", gemm);
        out.put("roofline_fraction", sparkRate * mflops / 1000 / gemm);
        out.put("plain_roofline_fraction", plainRate * mflops / 1000 / gemm);
        out.put("bytes_per_row", bytes);
        out.put("batch_size", batch);
        out.put("feature_taps", taps);
        out.put("images", images);
        out.put("spark_seconds", job.get("seconds"));
        out.put("plain_seconds", loopSeconds);
        out.put("teacher", run.teacherModel());
        out.put("teacher_params", teacher.numParams());
        out.put("config", ConfigLoader.toMap(config).get("soft_labels"));
        out.put("load_after", InferenceBench.loadAverage());
        return out;
    }

    /** The figures as Markdown. */
    @SuppressWarnings("unchecked")
    public static String markdown(Map<String, Object> r) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "| labelling | images/s | roofline fraction |%n|---|---:|---:|%n"));
        md.append(String.format(Locale.ROOT, "| soft-label job (%s) | %.0f | %.3f |%n", r.get("master"), (Double) r.get("spark_images_per_s"),
                (Double) r.get("roofline_fraction")));
        md.append(String.format(Locale.ROOT, "| plain DL4J loop, one JVM | %.0f | %.3f |%n%n", (Double) r.get("plain_images_per_s"),
                (Double) r.get("plain_roofline_fraction")));
        md.append(String.format(Locale.ROOT, "ratio %.3f; teacher %.2f MFLOPs/image; ND4J GEMM %.1f GFLOP/s%n%n", (Double) r.get("ratio"),
                (Double) r.get("teacher_mflops_per_image"), (Double) r.get("gemm_gflops")));
        md.append("| column/encoding | bytes/row |\n|---|---:|\n");
        for (Map.Entry<String, Object> e : ((Map<String, Object>) r.get("bytes_per_row")).entrySet()) {
            if (!e.getKey().equals("as_written") && e.getValue() instanceof Number n) {
                md.append(String.format(Locale.ROOT, "| %s | %.1f |%n", e.getKey(), n.doubleValue()));
            }
        }
        md.append(String.format(Locale.ROOT, "| as written (all columns) | %.1f |%n", ((Number) ((Map<String, Object>) r.get("bytes_per_row")).get("as_written")).doubleValue()));
        return md.toString();
    }
}
