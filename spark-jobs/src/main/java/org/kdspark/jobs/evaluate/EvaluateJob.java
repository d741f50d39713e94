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
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.jobs.store.TableImages;
import org.kdspark.kd.eval.Evaluation;
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
        TableImages.Collected test = TableImages.collect(table, ImageTable.inputSpec(images, table), ImageTable.TEST);
        float[] teacherLogits = SoftLabelStore.testLogits(store.labelsFor(spark, table), store.signals().get(SoftLabelStore.LOGITS), test.ids());

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
        Evaluation.Scores teacherScores = teacherSource == null ? Evaluation.evaluate(teacher, test.images(), null)
                : Evaluation.score(teacherLogits, test.images().labels(), null);
        long teacherParams = members.isEmpty() ? (teacher == null ? -1 : teacher.numParams()) : ensembleParams(files, members, teacher);

        Map<String, Report.Student> students = new LinkedHashMap<>();
        Map<String, Evaluation.Scores> studentScores = new LinkedHashMap<>();
        for (String name : studentNames(files, layout)) {
            byte[] zip = files.readBytes(layout.studentModel(name));
            Provenance p = ModelFiles.provenanceFromZip(zip);
            ComputationGraph student = ModelFiles.graphFromZip(zip, false);
            Evaluation.Scores s = Evaluation.evaluate(student, test.images(), teacherLogits);
            Metrics.TeacherAgreement agreement = Metrics.teacherAgreement(s.logits(), teacherLogits, s.labels());
            Map<String, Object> d = p == null ? Map.of() : p.details();
            students.put(name, new Report.Student(name, String.valueOf(d.getOrDefault("method", "?")), s.accuracy(), student.numParams(),
                    num(d.get("seconds")), num(d.get("train_seconds")), num(d.get("examples_per_s")), s.nll(), s.ece(),
                    s.teacherAgreement(), s.klFromTeacher(), agreement.whenTeacherRight(), agreement.whenTeacherWrong()));
            studentScores.put(name, s);
        }
        List<String> classes = classNames(images, numClasses);
        PlotsWritten plots = writePlots(files, layout, plotInput(files, layout, teacherScores, teacherLogits, studentScores, classes));
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
    static ReportPlots.Input plotInput(HadoopFiles files, RunLayout layout, Evaluation.Scores teacher, float[] teacherLogits,
            Map<String, Evaluation.Scores> students, List<String> classes) {
        Map<String, TrainingHistory> histories = new LinkedHashMap<>();
        List<ReportPlots.Calibration> calibration = new ArrayList<>();
        List<ReportPlots.StudentAgreement> agreement = new ArrayList<>();
        calibration.add(new ReportPlots.Calibration("teacher", Metrics.reliability(teacher.logits(), teacher.labels(), Evaluation.ECE_BINS),
                teacher.ece()));
        for (Map.Entry<String, Evaluation.Scores> e : students.entrySet()) {
            String history = layout.studentDir(e.getKey()) + "/history.json";
            if (files.exists(history)) {
                histories.put(e.getKey(), TrainingHistory.parse(files.readString(history), history));
            }
            Evaluation.Scores s = e.getValue();
            calibration.add(new ReportPlots.Calibration(e.getKey(), Metrics.reliability(s.logits(), s.labels(), Evaluation.ECE_BINS), s.ece()));
            agreement.add(new ReportPlots.StudentAgreement(e.getKey(), s.accuracy(),
                    Metrics.teacherAgreement(s.logits(), teacherLogits, s.labels())));
        }
        String confusionOf = students.containsKey("kd") ? "kd"
                : students.keySet().stream().filter(n -> !n.equals("baseline")).findFirst().orElse(students.isEmpty() ? null : "baseline");
        long[][] confusion = confusionOf == null ? null
                : Metrics.confusion(students.get(confusionOf).logits(), students.get(confusionOf).labels());
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
