package org.kdspark.jobs.softlabels;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
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
import org.kdspark.jobs.spark.Sessions;
import org.kdspark.jobs.spark.TableImages;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreManifest;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.jobs.store.StoreWriter;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.model.TeacherModels;
import org.kdspark.kd.onnx.OnnxClassifier;
import org.kdspark.kd.provenance.Provenance;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Offline soft-label generation: runs the teacher over the image table in parallel and writes its raw logits and
 * selected feature maps to the {@link SoftLabelStore}, with provenance. Done once, read by every student run.
 *
 * <p>Incremental: the store keeps one version per teacher (and signal spec). Images that the version already
 * labelled (same id, same pixels) are skipped, so re-running with the same teacher and images does no teacher work,
 * and images added to the table later are labelled alone, as a new batch. A new teacher writes a new version beside
 * the old one. The labelling itself is a {@link TeacherLabeler}.
 *
 * <p>The teacher is the run's own ({@code kd train-teacher}), an external ONNX file ({@code soft_labels.teacher_onnx}), or
 * one trained elsewhere ({@code soft_labels.teacher_model}: a DL4J MultiLayerNetwork or ComputationGraph zip, or a Keras
 * HDF5 model, converted on the driver by {@link org.kdspark.kd.model.TeacherModels}); ensemble members may be any of these.
 * <p>The logits are stored dense ({@code array<float>}) or, with {@code soft_labels.logits_encoding: topk:K}, as their K
 * largest values in a binary column ({@link SoftLabelStore#LOGITS_TOPK}); the encoding is part of the version key, so
 * switching it writes a new version beside the old one.
 *
 * <p>Before any Spark work the teacher is checked against the data on the driver: it must accept the
 * table's image shape, have a {@code logits} vertex as wide as the table's classes, and have every
 * requested feature tap.
 */
public final class SoftLabelJob {

    /**
     * What the job wrote.
     *
     * @param rows,train,test the version's rows after this run (all batches)
     * @param labelled        rows the teacher labelled in this run
     * @param reused          images of the table that the version had already labelled
     * @param bytes           the version's Parquet bytes
     * @param version         the store version, {@code teacher=SHA12_KEY8}
     * @param phases          seconds per phase, in order: {@code teacher} (loading the teacher and, for ONNX Runtime,
     *                        exporting and verifying it), {@code plan} (finding and counting the images to label),
     *                        {@code label} (the Spark stage that labels, encodes and writes), {@code commit}
     */
    public record Result(long rows, long train, long test, long labelled, long reused, long bytes, double bytesPerRow, double seconds,
            Map<String, List<Long>> featureShapes, String teacherSha256, String version, Map<String, Double> phases) {
    }

    /** The config key of a teacher trained elsewhere. */
    static final String TEACHER_MODEL_KEY = "soft_labels.teacher_model";
    /** Spark's floor on the number of file-scan partitions (default: the default parallelism). */
    static final String MIN_PARTITIONS = "spark.sql.files.minPartitionNum";
    /** Read partitions per core for the labelling scan; a user's {@link #MIN_PARTITIONS} overrides it. */
    static final int PARTITIONS_PER_CORE = 8;

    private SoftLabelJob() {
    }

    public static Result run(SparkSession spark, KdConfig config, RunLayout layout) {
        long start = System.nanoTime();
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        Provenance images = ParquetArtifacts.provenance(spark, layout.images(), ImageTable.KIND, ImageTable.SCHEMA_VERSION);
        Dataset<Row> table = ImageTable.read(spark, layout.images());
        // the teacher: an external ONNX file (teacher_onnx), a file trained elsewhere (teacher_model), or the run's own
        boolean external = config.softLabels.teacherOnnx != null;
        boolean supplied = config.softLabels.teacherModel != null;
        if (!external && !supplied && !files.exists(layout.teacherModel())) {
            throw new IllegalArgumentException("no teacher at " + layout.teacherModel() + ": run 'kd train-teacher' first (same --output), "
                    + "or set soft_labels.teacher_model to a teacher trained elsewhere");
        }
        List<?> classes = (List<?>) images.details().get("classes");
        int numClasses = classes.size();
        ColumnEncoding logitsEncoding = logitsEncoding(config.softLabels.logitsEncoding, numClasses);
        InputSpec spec = inputSpec(images, table);
        List<String> taps = List.copyOf(config.softLabels.featureTaps);
        ExternalTeacher given = supplied
                ? ExternalTeacher.load(files, config.softLabels.teacherModel, TEACHER_MODEL_KEY, spec, taps, numClasses)
                : null;
        String teacherUri = supplied ? given.uri() : layout.teacherModel();
        byte[] zip = external ? null : supplied ? given.zip() : files.readBytes(teacherUri);
        // the DL4J teacher is read and checked against the table only when needed: for the DL4J backend, or to export it
        // (a job reusing the kept export of the same teacher does neither)
        Dl4jTeacher dl4j = external ? null : supplied ? new Dl4jTeacher(given.teacher().graph(), given.shapes())
                : new Dl4jTeacher(zip, spec, taps, numClasses);
        // soft_labels.backend: the teacher's verified ONNX export, an external ONNX file, or DL4J
        Supplier<LabeledImages> verifyOn = () -> TableImages.collect(table, ImageTable.TEST, OnnxModelExport.VERIFY_IMAGES).images();
        String verifySource = "test split of " + layout.images();
        // the identity of a supplied teacher is its file's hash, not that of its conversion: re-runs find their version
        String dl4jSha = external ? null : supplied ? given.sha256() : TeacherModels.sha256(zip);
        Optional<OnnxTeachers.OnnxTeacher> onnx = OnnxTeachers.resolve(config.softLabels, files,
                external ? null : new OnnxTeachers.Dl4jOriginal(teacherUri, dl4jSha, dl4j::graph, () -> ModelFiles.provenanceFromZip(zip)),
                external || supplied ? null : layout.teacherDir(), taps, verifyOn, verifySource);
        Map<String, List<Long>> shapes = onnx.isPresent() ? checkOnnxTeacher(onnx.get(), spec, taps, numClasses) : dl4j.shapes();
        String sha = external ? onnx.get().sha256() : dl4jSha;
        Map<String, Object> teacherDetails = onnx.isPresent() ? onnx.get().details()
                : supplied ? given.details() : Map.of("backend", "dl4j");
        Map<String, Object> features = new LinkedHashMap<>();
        for (String tap : taps) {
            String key = tapEncodingKey(config.softLabels, tap);
            ColumnEncoding encoding = tapEncoding(config.softLabels, tap);
            int[] source = shapes.get(tap).stream().mapToInt(Long::intValue).toArray();
            int[] decoded;
            try {
                decoded = encoding.decodedShape(source);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + ": '" + encoding.configName() + "' does not fit teacher tap '" + tap + "' of shape "
                        + shapes.get(tap) + ": " + e.getMessage(), e);
            }
            features.put(tap, Map.of("column", SoftLabelStore.featureColumn(tap),
                    "shape", java.util.Arrays.stream(decoded).boxed().toList(), "source_shape", shapes.get(tap),
                    "encoding", encoding.configName()));
        }
        // the dense column keeps the exact entry it always had: existing stores keep their version key
        Map<String, Object> logits = logitsEncoding == null
                ? Map.of("column", SoftLabelStore.LOGITS, "shape", List.of((long) numClasses), "encoding", SoftLabelStore.DENSE_LOGITS)
                : Map.of("column", SoftLabelStore.logitsColumn(logitsEncoding), "shape", List.of((long) numClasses),
                        "source_shape", List.of((long) numClasses), "encoding", logitsEncoding.configName());
        // more teachers: each checked like the first before any work; the version is keyed by all of them and the mode
        List<EnsembleMember> extra = new java.util.ArrayList<>();
        for (long seed : config.teacher.ensembleSeeds) {
            String member = layout.teacherMemberModel(seed);
            if (!files.exists(member)) {
                throw new IllegalArgumentException("teacher.ensemble_seeds: no teacher trained with seed " + seed + " at " + member
                        + ": run 'kd train-teacher' first");
            }
            // labelled like the run's teacher: through its verified ONNX export (kept beside it) unless the backend is dl4j
            extra.add(EnsembleMember.load(files, member, "teacher.ensemble_seeds", spec, numClasses)
                    .viaOnnx(config.softLabels, files, layout.teacherMemberDir(seed), verifyOn, verifySource));
        }
        for (String uri : config.softLabels.ensembleTeachers) {
            extra.add(EnsembleMember.load(files, uri, spec, numClasses));
        }
        String versionSha = sha;
        Phases phases = new Phases(start);
        List<Map<String, Object>> teachers = new java.util.ArrayList<>();
        if (!extra.isEmpty()) {
            Map<String, Object> first = new LinkedHashMap<>(Map.of("model", external ? onnx.get().source() : teacherUri, "sha256", sha,
                    "backend", onnx.isPresent() ? "onnx" : "dl4j"));
            if (supplied) {
                first.put("kind", given.kind());
            }
            teachers.add(first);
            StringBuilder key = new StringBuilder(sha);
            for (EnsembleMember m : extra) {
                teachers.add(m.details());
                key.append(',').append(m.sha256());
            }
            versionSha = org.kdspark.jobs.config.ConfigHash.ofText(key + ";" + config.softLabels.ensemble);
        }
        KdConfig.SoftLabels sl = config.softLabels;
        Map<String, Object> views = sl.views == 0 ? Map.of()
                : Map.of("count", sl.views, "max_shift", sl.viewShift, "flip", sl.viewFlip, "seed", sl.viewSeed);
        phases.end("teacher");
        StoreWriter store = StoreWriter.open(spark, layout.softLabels(), versionSha, StoreWriter.signalsKey(spec, classes, logits, features, views));
        Dataset<Row> hashed = SoftLabelStore.withImageHash(table)
                .select(ImageTable.ID, ImageTable.SPLIT, ImageTable.LABEL, SoftLabelStore.IMAGE_HASH, ImageTable.PIXELS);
        Dataset<Row> todo;
        Map<String, Long> todoCounts;
        if (store.hasLabelled()) {
            Dataset<Row> done = store.labelled();
            todo = hashed.join(done, SoftLabelStore.sameImage(hashed, done), "left_anti");
            todoCounts = splitCounts(todo);
        } else {
            // a new version: every image, as many as the table's provenance counts (the written batch is checked against them)
            todo = hashed;
            todoCounts = new LinkedHashMap<>();
            for (String split : List.of(ImageTable.TRAIN, ImageTable.TEST)) {
                long n = images.counts().getOrDefault(split, 0L);
                if (n > 0) {
                    todoCounts.put(split, n);
                }
            }
        }
        long todoRows = todoCounts.values().stream().mapToLong(Long::longValue).sum();
        long tableRows = images.counts().getOrDefault("train", 0L) + images.counts().getOrDefault("test", 0L);
        phases.end("plan");
        if (todoRows == 0) {
            store.makeCurrent();
        } else {
            TeacherBackend teacher = backend(spark, onnx, zip, sha, spec, taps);
            if (!extra.isEmpty()) {
                List<TeacherBackend> members = new java.util.ArrayList<>(List.of(teacher));
                extra.forEach(m -> members.add(m.backend(JavaSparkContext.fromSparkContext(spark.sparkContext()), spec)));
                teacher = new EnsembleTeacherBackend(members, EnsembleTeacherBackend.Mode.fromConfig(config.softLabels.ensemble));
            }
            TeacherLabeler labeler = new TeacherLabeler(teacher)
                    .setBatchSize(config.softLabels.batchSize)
                    .setFeatureEncoding(config.softLabels.featureEncoding)
                    .setTapEncodings(config.softLabels.tapEncodings)
                    .setLogitsEncoding(config.softLabels.logitsEncoding)
                    .setKeepPixels(false);
            Provenance provenance = Provenance.of(SoftLabelStore.KIND, SoftLabelStore.SCHEMA_VERSION, "soft-labels")
                    .withEnvironment("spark", spark.version())
                    .withConfig(ConfigLoader.toMap(config))
                    .withInput("teacher", external ? onnx.get().source() : teacherUri)
                    .withInput("teacher_sha256", sha)
                    .withDetail("teacher_backend", teacherDetails)
                    .withInput("images", layout.images())
                    .withCount("rows", todoRows)
                    .withCount("train", todoCounts.getOrDefault(ImageTable.TRAIN, 0L))
                    .withCount("test", todoCounts.getOrDefault(ImageTable.TEST, 0L))
                    .withDetail("num_classes", numClasses)
                    .withDetail("classes", classes)
                    .withDetail("input_spec", spec.toString())
                    .withDetail("logits", logits)
                    .withDetail("features", features);
            if (!views.isEmpty()) {
                provenance = provenance.withDetail("views", views);
            }
            if (!extra.isEmpty()) {
                provenance = provenance.withInput("ensemble_key", versionSha)
                        .withDetail("teachers", teachers)
                        .withDetail("ensemble", config.softLabels.ensemble);
            }
            try {
                Dataset<Row> toLabel = sl.views == 0 ? todo : Views.expand(todo, spec, sl.views, sl.viewSeed, sl.viewShift, sl.viewFlip);
                long expectedRows = todoRows + (long) sl.views * todoCounts.getOrDefault(ImageTable.TRAIN, 0L);
                Dataset<Row> labelled = labeler.transform(toLabel).select(SoftLabelStore.columns(taps, teacher.members(), sl.views > 0, logitsEncoding));
                Provenance written = provenance;
                // Spark packs the table's files into as few read partitions as there are cores, by bytes: with files of
                // unequal size (a train and a test split) one core labelled three quarters of the images while the
                // other idled. Labelling costs the same per image, so a few partitions per core keep every core busy.
                Sessions.withSqlDefault(spark, MIN_PARTITIONS, String.valueOf(PARTITIONS_PER_CORE * spark.sparkContext().defaultParallelism()),
                        () -> store.append(labelled, written, expectedRows, start));
            } finally {
                labeler.teacher().release();
            }
        }
        phases.end("label");
        StoreVersion written = SoftLabelStore.open(spark, layout.softLabels());
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "soft-labels: %,d images in the table: %,d already labelled by this teacher, %,d labelled now -> %s%n",
                tableRows, tableRows - todoRows, todoRows, written.uri());
        phases.end("commit");
        if (todoRows > 0) {
            System.out.println("soft-labels: " + phases);
        }
        StoreManifest.VersionEntry v = written.entry();
        return new Result(v.rows(), v.train(), v.test(), todoRows, tableRows - todoRows, v.bytes(), v.bytesPerRow(), seconds, shapes, versionSha,
                written.name(), phases.seconds());
    }

    /** The encoding the store keeps {@code tap} in: its own ({@code tap_encodings}) or {@code feature_encoding}. */
    public static ColumnEncoding tapEncoding(KdConfig.SoftLabels config, String tap) {
        return SoftLabelStore.featureEncoding(config.tapEncodings.getOrDefault(tap, config.featureEncoding), tapEncodingKey(config, tap));
    }

    /** The config key that sets {@code tap}'s encoding, for messages. */
    private static String tapEncodingKey(KdConfig.SoftLabels config, String tap) {
        return config.tapEncodings.containsKey(tap) ? "soft_labels.tap_encodings." + tap : "soft_labels.feature_encoding";
    }

    /** The run's DL4J teacher: read from its zip and checked against the image table the first time it is asked for. */
    private static final class Dl4jTeacher {

        private final byte[] zip;
        private final InputSpec spec;
        private final List<String> taps;
        private final int numClasses;
        private ComputationGraph graph;
        private Map<String, List<Long>> shapes;

        Dl4jTeacher(byte[] zip, InputSpec spec, List<String> taps, int numClasses) {
            this.zip = zip;
            this.spec = spec;
            this.taps = taps;
            this.numClasses = numClasses;
        }

        /** A teacher read and checked already (a supplied teacher_model). */
        Dl4jTeacher(ComputationGraph graph, Map<String, List<Long>> shapes) {
            this(null, null, null, 0);
            this.graph = graph;
            this.shapes = shapes;
        }

        ComputationGraph graph() {
            if (graph == null) {
                graph = ModelFiles.graphFromZip(zip, false);
                shapes = checkTeacher(graph, spec, taps, numClasses);
            }
            return graph;
        }

        /** Each tap's activation shape, without the batch dimension. */
        Map<String, List<Long>> shapes() {
            graph();
            return shapes;
        }
    }

    /** Wall-clock seconds of the job's phases, each from the end of the one before. */
    private static final class Phases {
        private final Map<String, Double> seconds = new LinkedHashMap<>();
        private long last;

        Phases(long start) {
            last = start;
        }

        void end(String phase) {
            long now = System.nanoTime();
            seconds.put(phase, (now - last) / 1e9);
            last = now;
        }

        Map<String, Double> seconds() {
            return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(seconds));
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("seconds per phase:");
            seconds.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.1f", k, v)));
            return sb.toString();
        }
    }

    /**
     * Checks {@code soft_labels.teacher_model}, when set, against the images the config will ingest
     * ({@code dataset.channels/height/width}), for a pipeline to fail before it ingests anything. The class count is
     * known only from the image table: this job checks it when it runs. Returns the loaded teacher, or null.
     */
    public static TeacherModels.Teacher checkSuppliedTeacher(HadoopFiles files, KdConfig config) {
        if (config.softLabels.teacherModel == null) {
            return null;
        }
        InputSpec spec = new InputSpec(config.dataset.channels, config.dataset.height, config.dataset.width);
        String uri = files.qualify(config.softLabels.teacherModel);
        if (!files.exists(uri)) {
            throw new IllegalArgumentException(TEACHER_MODEL_KEY + ": no model at " + uri);
        }
        try {
            TeacherModels.Teacher teacher = TeacherModels.load(files.readBytes(uri), uri);
            teacher.requireInput(spec);
            checkTeacher(teacher.graph(), spec, List.of(), -1);
            return teacher;
        } catch (IllegalArgumentException e) {
            String message = e.getMessage() != null && e.getMessage().startsWith(uri) ? e.getMessage() : uri + ": " + e.getMessage();
            throw new IllegalArgumentException(TEACHER_MODEL_KEY + ": " + message, e);
        }
    }

    /**
     * {@code soft_labels.logits_encoding} for a table of {@code numClasses} classes ({@code null}: dense); checked here,
     * before the teacher is loaded, because the class count is not known when the config is.
     */
    static ColumnEncoding logitsEncoding(String spec, int numClasses) {
        ColumnEncoding e = SoftLabelStore.logitsEncoding(spec, "soft_labels.logits_encoding");
        if (e instanceof ColumnEncoding.TopK t && t.k() > numClasses) {
            throw new IllegalArgumentException("soft_labels.logits_encoding '" + spec + "' keeps " + t.k() + " logits but the image table has "
                    + numClasses + " classes: use topk:K with K <= " + numClasses + ", or float32");
        }
        return e;
    }

    /** The teacher the executors run: ONNX Runtime on the resolved ONNX model, or the DL4J zip. */
    private static TeacherBackend backend(SparkSession spark, Optional<OnnxTeachers.OnnxTeacher> onnx, byte[] zip, String sha, InputSpec spec,
            List<String> taps) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        if (onnx.isPresent()) {
            OnnxTeachers.OnnxTeacher t = onnx.get();
            return new OnnxTeacherBackend(jsc.broadcast(t.onnx()), t.sha256(), spec, t.logitsOutput(), taps, t.cuda());
        }
        return new Dl4jTeacherBackend(jsc.broadcast(zip), sha, spec, taps);
    }

    /** Rows per split. */
    private static Map<String, Long> splitCounts(Dataset<Row> rows) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Row r : rows.groupBy(ImageTable.SPLIT).count().collectAsList()) {
            out.put(r.getString(0), r.getLong(1));
        }
        return out;
    }

    /**
     * The image shape of the table (all rows share it; ingest guarantees that): as its provenance records it, else
     * read from its first row (a Spark job).
     */
    static InputSpec inputSpec(Provenance images, Dataset<Row> table) {
        if (images.details().get("input_spec") instanceof String recorded) {
            return InputSpec.parse(recorded);
        }
        Row first = table.select(ImageTable.CHANNELS, ImageTable.HEIGHT, ImageTable.WIDTH).first();
        return new InputSpec(first.getInt(0), first.getInt(1), first.getInt(2));
    }

    /**
     * Runs the teacher once on a blank image of the table's shape and returns each tap's activation shape
     * (without the batch dimension); fails with what to change when the teacher does not fit the data
     * ({@code numClasses} -1: any class count).
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
        if (numClasses >= 0 && width != numClasses) {
            throw new IllegalArgumentException("the teacher's logits have " + width + " classes but the image table has " + numClasses
                    + ": use a teacher trained on exactly these classes, in the table's order (or set dataset.path to a dataset of "
                    + width + " classes)");
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
            if (logits.size() != 1 || logits.get(0) != numClasses) {
                throw new IllegalArgumentException("the ONNX teacher's logits output '" + c.logitsOutput() + "' has per-image shape " + logits
                        + " but the image table has " + numClasses + " classes: use a teacher trained on exactly these classes, in the table's order");
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
