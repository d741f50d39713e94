package org.kdspark.jobs.evaluate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.jobs.train.SparkScoring;
import org.kdspark.kd.eval.ScoreSums;
import org.kdspark.kd.eval.Metrics;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.model.TeacherModels;
import org.kdspark.kd.provenance.BuildInfo;
import org.kdspark.kd.provenance.Provenance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates the teacher and every student of a run on the test split and writes {@code report.json},
 * {@code report.md} and the PNG plots it embeds ({@code plots/}, see {@link ReportPlots}). Timings come from the artifacts' provenance, so the report can be rebuilt at any time.
 */
public final class EvaluateJob {

    private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);

    private EvaluateJob() {
    }

    @SuppressWarnings("unchecked")
    public static Report.Content run(SparkSession spark, KdConfig config, RunLayout layout, double totalSeconds, boolean teacherReused) {
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        Provenance images = ParquetArtifacts.provenance(spark, layout.images(), ImageTable.KIND, ImageTable.SCHEMA_VERSION);
        StoreVersion store = SoftLabelStore.open(spark, layout.softLabels());
        int numClasses = store.numClasses();
        Dataset<Row> table = ImageTable.read(spark, layout.images());
        SoftLabelStore.Signal logits = store.signals().get(SoftLabelStore.LOGITS);
        Dataset<Row> test = SparkScoring.rows(table.filter(functions.col(ImageTable.SPLIT).equalTo(ImageTable.TEST)), store.labelsFor(spark, table), logits);

        // the teacher that labelled: an external ONNX file (soft_labels.teacher_onnx), one trained elsewhere
        // (soft_labels.teacher_model), or the run's own; scored on the test images
        Provenance teacherProvenance = null;
        ComputationGraph teacher = null;
        if (config.softLabels().teacherModel() != null) {
            String uri = files.qualify(config.softLabels().teacherModel());
            teacher = TeacherModels.load(files.readBytes(uri), uri).graph();
        } else if (config.softLabels().teacherOnnx() == null) {
            byte[] teacherZip = files.readBytes(layout.teacherModel());
            teacherProvenance = ModelFiles.provenanceFromZip(teacherZip);
            teacher = ModelFiles.graphFromZip(teacherZip, false);
        }
        // an ensemble's or an ONNX file's labels are not that model's outputs: the row then describes the soft labels the
        // students learnt from, the store's test logits, and the parameters of every teacher that made them
        List<?> members = store.provenance().details().get("teachers") instanceof List<?> l ? l : List.of();
        String teacherSource = !members.isEmpty() ? "ensemble of " + members.size() + " teachers, " + store.provenance().details().get("ensemble")
                : config.softLabels().teacherOnnx() != null ? "ONNX file " + files.qualify(config.softLabels().teacherOnnx()) : null;
        long teacherParams = members.isEmpty() ? (teacher == null ? -1 : teacher.numParams()) : ensembleParams(files, members, teacher);

        // every model in one pass over the test rows, on the executors: the teacher (when it is a DL4J model) first
        List<String> names = studentNames(files, layout);
        List<ComputationGraph> models = new ArrayList<>();
        List<Provenance> provenances = new ArrayList<>();
        if (teacherSource == null) {
            models.add(teacher);
        }
        for (String name : names) {
            byte[] zip = files.readBytes(layout.studentModel(name));
            provenances.add(ModelFiles.provenanceFromZip(zip));
            models.add(ModelFiles.graphFromZip(zip, false));
        }
        SparkScoring.Scored scored = SparkScoring.score(test, ImageTable.inputSpec(images, table), numClasses, models, logits);
        SparkScoring.requireEveryTestImage(scored.examples(), images);
        ScoreSums teacherScores = teacherSource == null ? scored.models().get(0) : scored.storedLogits();
        int first = teacherSource == null ? 1 : 0;
        Map<String, Report.Student> students = new LinkedHashMap<>();
        Map<String, ScoreSums> studentScores = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            ScoreSums s = scored.models().get(first + i);
            Metrics.TeacherAgreement agreement = s.agreementSplit();
            Provenance p = provenances.get(i);
            Map<String, Object> d = p == null ? Map.of() : p.details();
            students.put(name, new Report.Student(name, String.valueOf(d.getOrDefault("method", "?")), s.accuracy(),
                    models.get(first + i).numParams(), num(d.get("seconds")), num(d.get("train_seconds")), num(d.get("examples_per_s")),
                    s.nll(), s.ece(), s.teacherAgreement(), s.klFromTeacher(), agreement.whenTeacherRight(), agreement.whenTeacherWrong()));
            studentScores.put(name, s);
        }
        List<String> classes = classNames(images, numClasses);
        PlotsWritten plots = writePlots(files, layout, plotInput(files, layout, teacherScores, studentScores, classes));
        Map<String, Object> distill = new LinkedHashMap<>();
        Map<String, Object> configMap = ConfigLoader.toMap(config);
        distill.putAll((Map<String, Object>) configMap.get("distill"));
        Report.Content content = new Report.Content(config.dataset().name(), images.counts().getOrDefault("train", 0L),
                images.counts().getOrDefault("test", 0L), teacherScores.accuracy(), teacherParams,
                teacherProvenance == null ? Double.NaN : num(teacherProvenance.details().get("train_seconds")), teacherReused,
                teacherScores.nll(), teacherScores.ece(), teacherSource, store.entry().rows(), store.entry().bytesPerRow(),
                store.entry().seconds(), students, distill, totalSeconds, BuildInfo.code(), plots.figures(), plots.error());
        files.writeStringAtomically(layout.reportJson(), Report.json(content));
        files.writeStringAtomically(layout.reportMarkdown(), Report.markdown(content));
        return content;
    }

    /**
     * The parameters of an ensemble's teachers, as the store's provenance lists them ({@code details.teachers}, the run's
     * teacher first, {@code first} when it was loaded here); -1 when one of them is an ONNX file, whose parameters are
     * not counted.
     */
    static long ensembleParams(HadoopFiles files, List<?> members, ComputationGraph first) {
        long params = 0;
        for (int i = 0; i < members.size(); i++) {
            Map<?, ?> m = (Map<?, ?>) members.get(i);
            if (i == 0) {
                // the run's teacher, or soft_labels.teacher_onnx (not loaded)
                if (first == null) {
                    return -1;
                }
                params += first.numParams();
            } else if ("onnx".equals(m.get("kind"))) {
                return -1;
            } else {
                String uri = String.valueOf(m.get("model"));
                params += TeacherModels.load(files.readBytes(uri), uri).graph().numParams();
            }
        }
        return params;
    }

    /**
     * The plots' data: every student's history (where its {@code history.json} exists), calibration of the teacher
     * and each student, the confusion matrix of the distilled student ({@code kd}, else the first student that is
     * not the baseline, else the baseline), and agreement with the teacher.
     */
    static ReportPlots.Input plotInput(HadoopFiles files, RunLayout layout, ScoreSums teacher, Map<String, ScoreSums> students,
            List<String> classes) {
        Map<String, TrainingHistory> histories = new LinkedHashMap<>();
        List<ReportPlots.Calibration> calibration = new ArrayList<>();
        List<ReportPlots.StudentAgreement> agreement = new ArrayList<>();
        calibration.add(new ReportPlots.Calibration("teacher", teacher.reliability(), teacher.ece()));
        for (Map.Entry<String, ScoreSums> e : students.entrySet()) {
            String history = layout.studentDir(e.getKey()) + "/history.json";
            if (files.exists(history)) {
                histories.put(e.getKey(), TrainingHistory.parse(files.readString(history), history));
            }
            ScoreSums s = e.getValue();
            calibration.add(new ReportPlots.Calibration(e.getKey(), s.reliability(), s.ece()));
            agreement.add(new ReportPlots.StudentAgreement(e.getKey(), s.accuracy(), s.agreementSplit()));
        }
        String confusionOf = students.containsKey("kd") ? "kd"
                : students.keySet().stream().filter(n -> !n.equals("baseline")).findFirst().orElse(students.isEmpty() ? null : "baseline");
        long[][] confusion = confusionOf == null ? null : students.get(confusionOf).confusion();
        return new ReportPlots.Input(histories, calibration, confusionOf, confusion, classes, teacher.accuracy(), agreement);
    }

    /** The figures written, or why none could be drawn. */
    record PlotsWritten(List<Report.Figure> figures, String error) {
    }

    /**
     * Renders the plots and writes them under {@code plots/}, replacing those of an earlier evaluation. Drawing needs
     * Java2D and a font; a JVM that lacks them (a stripped-down container) still gets its report, which then says why
     * it has no plots, instead of failing the evaluation.
     */
    static PlotsWritten writePlots(HadoopFiles files, RunLayout layout, ReportPlots.Input input) {
        List<ReportPlots.Plot> plots;
        try {
            plots = ReportPlots.render(input);
        } catch (RuntimeException | LinkageError | java.awt.AWTError e) {
            String why = e.getClass().getSimpleName() + ": " + e.getMessage()
                    + " (drawing needs Java2D with fonts: install fontconfig and a TrueType font such as fonts-dejavu-core)";
            LOG.warn("report plots not drawn: {}", why);
            return new PlotsWritten(List.of(), why);
        }
        if (files.exists(layout.plots())) {
            files.delete(layout.plots());
        }
        List<Report.Figure> figures = new ArrayList<>();
        for (ReportPlots.Plot p : plots) {
            files.writeBytes(layout.plots() + "/" + p.file(), p.png());
            figures.add(new Report.Figure(RunLayout.PLOTS + "/" + p.file(), p.title(), p.width(), p.height()));
        }
        return new PlotsWritten(figures, null);
    }

    @SuppressWarnings("unchecked")
    private static List<String> classNames(Provenance images, int numClasses) {
        Object names = images.details().get("classes");
        List<String> out = new ArrayList<>();
        for (int c = 0; c < numClasses; c++) {
            out.add(names instanceof List<?> l && c < l.size() ? String.valueOf(l.get(c)) : Integer.toString(c));
        }
        return out;
    }

    /** Students present in the run, baseline first, then kd, then others by name. */
    static List<String> studentNames(HadoopFiles files, RunLayout layout) {
        String dir = layout.root() + "/students";
        if (!files.exists(dir)) {
            return List.of();
        }
        try {
            FileStatus[] all = files.fs(dir).listStatus(new Path(dir));
            return java.util.Arrays.stream(all)
                    .filter(FileStatus::isDirectory)
                    .map(s -> s.getPath().getName())
                    .filter(n -> files.exists(layout.studentModel(n)))
                    .sorted((a, b) -> Integer.compare(rank(a), rank(b)) != 0 ? Integer.compare(rank(a), rank(b)) : a.compareTo(b))
                    .toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int rank(String name) {
        return name.equals("baseline") ? 0 : name.equals("kd") ? 1 : 2;
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
