package org.kdspark.jobs.softlabels;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.pipeline.RunLayout;
import org.kdspark.jobs.onnx.OnnxModelExport;
import org.kdspark.jobs.onnx.OnnxTeacherBackend;
import org.kdspark.jobs.onnx.OnnxTeachers;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.spark.TableImages;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.kd.codec.TensorEncoding;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.onnx.OnnxClassifier;
import org.kdspark.kd.provenance.Provenance;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Offline soft-label generation: runs the teacher over the whole image table in parallel and writes its raw
 * logits and selected feature maps to the {@link SoftLabelStore}, with provenance. Done once, read by every
 * student run.
 *
 * <p>Before any Spark work the teacher is checked against the data on the driver: it must accept the
 * table's image shape, have a {@code logits} vertex wide enough for the table's classes, and have every
 * requested feature tap.
 */
public final class SoftLabelJob {

    /** What the job wrote. */
    public record Result(long rows, long train, long test, long bytes, double bytesPerRow, double seconds,
            Map<String, List<Long>> featureShapes, String teacherSha256) {
    }

    private SoftLabelJob() {
    }

    public static Result run(SparkSession spark, KdConfig config, RunLayout layout) {
        long start = System.nanoTime();
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        Provenance images = ParquetArtifacts.provenance(spark, layout.images(), ImageTable.KIND, ImageTable.SCHEMA_VERSION);
        Dataset<Row> table = spark.read().parquet(layout.images());
        boolean external = config.softLabels.teacherOnnx != null;
        if (!external && !files.exists(layout.teacherModel())) {
            throw new IllegalArgumentException("no teacher at " + layout.teacherModel() + ": run 'kd train-teacher' first (same --output)");
        }
        InputSpec spec = inputSpec(table);
        List<String> taps = List.copyOf(config.softLabels.featureTaps);
        int numClasses = ((List<?>) images.details().get("classes")).size();
        byte[] zip = external ? null : files.readBytes(layout.teacherModel());
        ComputationGraph dl4j = external ? null : ModelFiles.graphFromZip(zip, false);
        Map<String, List<Long>> shapes = external ? null : checkTeacher(dl4j, spec, taps, numClasses);
        // soft_labels.backend: the teacher's verified ONNX export, an external ONNX file, or DL4J
        Optional<OnnxTeachers.OnnxTeacher> onnx = OnnxTeachers.resolve(config.softLabels, files, layout.teacherModel(), dl4j,
                external ? null : ModelFiles.provenanceFromZip(zip), taps,
                () -> TableImages.collect(table, ImageTable.TEST, OnnxModelExport.VERIFY_IMAGES).images(), "test split of " + layout.images());
        if (onnx.isPresent()) {
            shapes = checkOnnxTeacher(onnx.get(), spec, taps, numClasses);
        }
        String sha = external ? onnx.get().sha256() : files.sha256(layout.teacherModel());

        TensorEncoding encoding = TensorEncoding.fromConfig(config.softLabels.featureEncoding);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<byte[]> model = jsc.broadcast(onnx.isPresent() ? onnx.get().onnx() : zip);
        OnnxTeacherBackend onnxBackend = onnx.map(t -> new OnnxTeacherBackend(model, t.sha256(), spec, t.logitsOutput(), taps, t.cuda()))
                .orElse(null);
        try {
            Dataset<Row> labelled = table.mapPartitions(
                    new TeacherInference(onnxBackend == null ? model : null, sha, spec, taps, encoding, config.softLabels.batchSize, onnxBackend),
                    Encoders.row(SoftLabelStore.schema(taps)));
            long train = images.counts().getOrDefault("train", -1L);
            long test = images.counts().getOrDefault("test", -1L);
            Map<String, Object> features = new LinkedHashMap<>();
            for (String tap : taps) {
                features.put(tap, Map.of("column", SoftLabelStore.featureColumn(tap), "shape", shapes.get(tap), "encoding", encoding.configName()));
            }
            Provenance provenance = Provenance.of(SoftLabelStore.KIND, SoftLabelStore.SCHEMA_VERSION, "soft-labels")
                    .withEnvironment("spark", spark.version())
                    .withConfig(ConfigLoader.toMap(config))
                    .withInput("teacher", external ? onnx.get().source() : layout.teacherModel())
                    .withInput("teacher_sha256", sha)
                    .withDetail("teacher_backend", onnx.isPresent() ? onnx.get().details() : Map.of("backend", "dl4j"))
                    .withInput("images", layout.images())
                    .withCount("rows", train + test)
                    .withCount("train", train)
                    .withCount("test", test)
                    .withDetail("num_classes", numClasses)
                    .withDetail("classes", images.details().get("classes"))
                    .withDetail("input_spec", spec.toString())
                    .withDetail("logits", Map.of("column", SoftLabelStore.LOGITS, "shape", List.of((long) numClasses), "encoding", "array<float>"))
                    .withDetail("features", features);
            ParquetArtifacts.write(labelled, layout.softLabels(), provenance);
        } finally {
            model.destroy();
        }
        long rows = spark.read().parquet(layout.softLabels()).count();
        long bytes = ParquetArtifacts.bytes(spark, layout.softLabels());
        Provenance written = ParquetArtifacts.provenance(spark, layout.softLabels(), SoftLabelStore.KIND, SoftLabelStore.SCHEMA_VERSION);
        if (rows != written.counts().get("rows")) {
            throw new IllegalStateException("soft-label store has " + rows + " rows, the image table " + written.counts().get("rows"));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double bytesPerRow = bytes / (double) Math.max(rows, 1);
        // the sidecar gains the measured size and time once the data is committed
        ParquetArtifacts.rewriteSidecar(spark, layout.softLabels(), written.withDetail("bytes", bytes).withDetail("bytes_per_row", bytesPerRow)
                .withDetail("seconds", seconds));
        return new Result(rows, written.counts().get("train"), written.counts().get("test"), bytes, bytesPerRow, seconds, shapes, sha);
    }

    /** The image shape of the table (all rows share it; ingest guarantees that). */
    static InputSpec inputSpec(Dataset<Row> table) {
        Row first = table.select(ImageTable.CHANNELS, ImageTable.HEIGHT, ImageTable.WIDTH).first();
        return new InputSpec(first.getInt(0), first.getInt(1), first.getInt(2));
    }

    /**
     * Runs the teacher once on a blank image of the table's shape and returns each tap's activation shape
     * (without the batch dimension); fails with what to change when the teacher does not fit the data.
     */
    static Map<String, List<Long>> checkTeacher(ComputationGraph teacher, InputSpec spec, List<String> taps, int numClasses) {
        GraphOutputs.requireVertices(teacher, List.of(GraphOutputs.LOGITS), "teacher");
        GraphOutputs.requireVertices(teacher, taps, "soft_labels.feature_taps");
        INDArray[] acts;
        try {
            acts = GraphOutputs.activations(teacher, Nd4j.zeros(spec.shape(1)), concat(GraphOutputs.LOGITS, taps));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the teacher does not accept images of shape " + spec
                    + " (channels x height x width) from the image table: " + e.getMessage()
                    + "; ingest with dataset.channels/height/width matching the teacher, or use a teacher built for " + spec, e);
        }
        long width = acts[0].length();
        if (width < numClasses) {
            throw new IllegalArgumentException("the teacher's logits have " + width + " classes but the image table has " + numClasses
                    + ": use a teacher trained on these classes");
        }
        Map<String, List<Long>> shapes = new LinkedHashMap<>();
        for (int i = 0; i < taps.size(); i++) {
            long[] s = acts[i + 1].shape();
            shapes.put(taps.get(i), java.util.Arrays.stream(s, 1, s.length).boxed().toList());
        }
        return shapes;
    }

    /**
     * The ONNX teacher's counterpart of {@link #checkTeacher}: it must take the table's images, have logits wide enough
     * for its classes and every tap as an output; returns each tap's per-image shape.
     */
    static Map<String, List<Long>> checkOnnxTeacher(OnnxTeachers.OnnxTeacher teacher, InputSpec spec, List<String> taps, int numClasses) {
        try (OnnxClassifier c = OnnxClassifier.open(teacher.onnx(), spec, teacher.logitsOutput(), taps, 1, false)) {
            Map<String, List<Long>> all = c.outputShapes();
            List<Long> logits = all.get(c.logitsOutput());
            if (logits.size() != 1 || logits.get(0) < numClasses) {
                throw new IllegalArgumentException("the ONNX teacher's logits output '" + c.logitsOutput() + "' has per-image shape " + logits
                        + " but the image table has " + numClasses + " classes: use a teacher trained on these classes");
            }
            Map<String, List<Long>> shapes = new LinkedHashMap<>();
            taps.forEach(t -> shapes.put(t, all.get(t)));
            return shapes;
        }
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> out = new java.util.ArrayList<>();
        out.add(first);
        out.addAll(rest);
        return out;
    }
}
