package org.kdspark.jobs.teacher;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.config.LabellingBackend;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.data.Normalization;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.model.TeacherModels;
import org.kdspark.kd.provenance.Hashes;

/**
 * Turns a {@link TeacherSource} into a {@link PreparedTeacher} on the driver, before any Spark work: each teacher is
 * read, converted when it is a Keras or MultiLayerNetwork file, checked against the image table
 * ({@link TeacherChecks}), and given the backend {@code soft_labels.backend} asks for: DL4J, or ONNX Runtime on an ONNX
 * file or on the verified ONNX export of a DL4J teacher ({@link OnnxTeachers}; the run's own teachers keep theirs).
 */
public final class Teachers {

    /**
     * What a teacher is checked against and labels with.
     *
     * @param spec         the image table's images, as the run's own networks take them
     * @param supplied     how a teacher from outside the run normalises the same pixels ({@code preprocess.teacher_*})
     * @param numClasses   the image table's classes
     * @param taps         the feature taps the store keeps (read from the first teacher of an ensemble)
     * @param settings     the backend and ONNX device
     * @param verifyOn     test images to verify an ONNX export on (fetched only when one is made)
     * @param verifySource where those images come from, for the export's metadata
     */
    public record Context(HadoopFiles files, InputSpec spec, Normalization supplied, int numClasses, List<String> taps,
            KdConfig.SoftLabels settings, Supplier<LabeledImages> verifyOn, String verifySource) {

        public Context {
            taps = List.copyOf(taps);
        }

        Context withoutTaps() {
            return new Context(files, spec, supplied, numClasses, List.of(), settings, verifyOn, verifySource);
        }

        /** The images as a supplied teacher takes them. */
        public InputSpec suppliedSpec() {
            return spec.withNormalization(supplied);
        }

        /** This context for a supplied teacher: its normalisation is the one its networks see. */
        Context forSupplied() {
            InputSpec as = suppliedSpec();
            return new Context(files, as, supplied, numClasses, taps, settings, () -> verifyOn.get().normalizedAs(as), verifySource);
        }
    }

    private Teachers() {
    }

    /** The teacher of {@code source}, checked and ready to label. */
    public static PreparedTeacher prepare(TeacherSource source, Context context) {
        if (source instanceof TeacherSource.Ensemble e) {
            List<PreparedTeacher> members = new ArrayList<>();
            for (TeacherSource m : e.members()) {
                // every member is checked like the first before any work; only the first one's taps are stored. A DL4J or
                // Keras file among the further members labels through DL4J (it keeps no verified ONNX export).
                Context c = members.isEmpty() ? context : context.withoutTaps();
                members.add(m instanceof TeacherSource.ModelFile f && !members.isEmpty() ? modelFile(f, c.forSupplied(), false)
                        : prepare(m, c));
            }
            return PreparedTeacher.ensemble(members, e.mode());
        }
        if (source instanceof TeacherSource.OnnxFile f) {
            return onnxFile(f, context.forSupplied());
        }
        if (source instanceof TeacherSource.ModelFile f) {
            return modelFile(f, context.forSupplied(), true);
        }
        return trained((TeacherSource.Trained) source, context);
    }

    /**
     * Checks {@code soft_labels.teacher_model}, when set, against the images the config will ingest
     * ({@code dataset.channels/height/width}), so that a pipeline fails before it ingests anything. The class count is
     * known only from the image table: {@link #prepare} checks it. Returns the loaded teacher, or null.
     */
    public static TeacherModels.Teacher checkSuppliedTeacher(HadoopFiles files, KdConfig config) {
        String configured = config.softLabels().teacherModel();
        if (configured == null) {
            return null;
        }
        InputSpec spec = new InputSpec(config.dataset().channels(), config.dataset().height(), config.dataset().width());
        return ExternalTeacher.loadChecked(files, configured, "soft_labels.teacher_model", spec, -1);
    }

    private static PreparedTeacher onnxFile(TeacherSource.OnnxFile f, Context c) {
        OnnxTeachers.OnnxTeacher onnx = OnnxTeachers.external(c.files(), f.uri(), f.key(), c.settings());
        Map<String, List<Long>> shapes;
        try {
            shapes = TeacherChecks.onnx(onnx, c.spec(), c.taps(), c.numClasses());
        } catch (IllegalArgumentException e) {
            throw new UserInputException(f.key() + ": " + onnx.source() + ": " + e.getMessage(), e);
        }
        return new PreparedTeacher(onnx.source(), onnx.sha256(), "onnx", shapes, onnx.details(), onnxBackend(onnx, c));
    }

    /** {@code viaOnnx}: whether the backend setting applies (else DL4J labels). */
    private static PreparedTeacher modelFile(TeacherSource.ModelFile f, Context c, boolean viaOnnx) {
        ExternalTeacher given = ExternalTeacher.load(c.files(), f.uri(), f.key(), c.spec(), c.taps(), c.numClasses());
        // a teacher from outside the run keeps no ONNX export: it is exported and verified again by each job that needs it
        Optional<OnnxTeachers.OnnxTeacher> onnx = c.settings().backend() == LabellingBackend.DL4J || !viaOnnx
                ? Optional.empty()
                : OnnxTeachers.exported(c.settings(), c.files(), new OnnxTeachers.Dl4jOriginal(given.uri(), given.sha256(),
                        given.teacher()::graph, () -> ModelFiles.provenanceFromZip(given.zip())), null, c.taps(), c.verifyOn(), c.verifySource());
        if (onnx.isPresent()) {
            return new PreparedTeacher(given.uri(), given.sha256(), given.kind(), TeacherChecks.onnx(onnx.get(), c.spec(), c.taps(),
                    c.numClasses()), onnx.get().details(), onnxBackend(onnx.get(), c));
        }
        byte[] zip = given.zip();
        return new PreparedTeacher(given.uri(), given.sha256(), given.kind(), given.shapes(), given.details(),
                jsc -> new Dl4jTeacherBackend(jsc.broadcast(zip), given.sha256(), c.spec(), c.taps()));
    }

    private static PreparedTeacher trained(TeacherSource.Trained t, Context c) {
        String model = c.files().qualify(t.model());
        if (!c.files().exists(model)) {
            throw new UserInputException(t.key().equals("teacher")
                    ? "no teacher at " + model + ": run 'kd train-teacher' first (same --output), or set soft_labels.teacher_model"
                            + " to a teacher trained elsewhere"
                    : t.key() + ": no " + t.name() + " at " + model + ": run 'kd train-teacher' first (same --output)");
        }
        byte[] zip = c.files().readBytes(model);
        String sha = Hashes.sha256(zip);
        // the DL4J teacher is read and checked only when needed: to label with DL4J, or to export it (a job reusing the
        // kept export of the same teacher does neither)
        Dl4jTeacher dl4j = new Dl4jTeacher(zip, c.spec(), c.taps(), c.numClasses());
        Optional<OnnxTeachers.OnnxTeacher> onnx = c.settings().backend() == LabellingBackend.DL4J ? Optional.empty()
                : OnnxTeachers.exported(c.settings(), c.files(), new OnnxTeachers.Dl4jOriginal(model, sha, dl4j::graph,
                        () -> ModelFiles.provenanceFromZip(zip)), t.dir(), c.taps(), c.verifyOn(), c.verifySource());
        if (onnx.isPresent()) {
            return new PreparedTeacher(model, sha, TeacherModels.Kind.DL4J_GRAPH.id(), TeacherChecks.onnx(onnx.get(), c.spec(), c.taps(),
                    c.numClasses()), onnx.get().details(), onnxBackend(onnx.get(), c));
        }
        return new PreparedTeacher(model, sha, TeacherModels.Kind.DL4J_GRAPH.id(), dl4j.shapes(), Map.of("backend", "dl4j"),
                jsc -> new Dl4jTeacherBackend(jsc.broadcast(zip), sha, c.spec(), c.taps()));
    }

    private static java.util.function.Function<org.apache.spark.api.java.JavaSparkContext, TeacherBackend> onnxBackend(
            OnnxTeachers.OnnxTeacher onnx, Context c) {
        return jsc -> new OnnxTeacherBackend(jsc.broadcast(onnx.onnx()), onnx.sha256(), c.spec(), onnx.logitsOutput(), c.taps(), onnx.cuda());
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

        ComputationGraph graph() {
            if (graph == null) {
                graph = ModelFiles.graphFromZip(zip, false);
                shapes = TeacherChecks.dl4j(graph, spec, taps, numClasses);
            }
            return graph;
        }

        Map<String, List<Long>> shapes() {
            graph();
            return new LinkedHashMap<>(shapes);
        }
    }
}
