package org.kdspark.jobs.evaluate;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.kdspark.kd.provenance.Provenance;

/**
 * The run report: {@code report.json} (stable keys for machines, accuracies as fractions) and
 * {@code report.md} (the same for people, with the PNG plots of {@link ReportPlots} embedded from
 * {@code plots/}).
 */
public final class Report {

    /** One student's line in the report. */
    public record Student(String name, String method, double accuracy, long params, double seconds, double trainSeconds,
            double examplesPerSecond, double nll, double ece, double teacherAgreement, double klFromTeacher,
            double agreementWhereTeacherRight, double agreementWhereTeacherWrong) {
    }

    /** A plot written beside the report: its path relative to the report's folder, its title and pixel size. */
    public record Figure(String path, String title, int width, int height) {
    }

    /**
     * Everything the report states.
     *
     * @param teacherParams -1 when not known (an ONNX teacher among those that labelled)
     * @param teacherSource null when the teacher row is the run's teacher (or {@code soft_labels.teacher_model}) scored
     *                      on the test images; otherwise what labelled instead (an ensemble, {@code soft_labels.teacher_onnx}),
     *                      scored from the store's test logits, which the students learnt from
     */
    public record Content(String dataset, long train, long test, double teacherAccuracy, long teacherParams, double teacherSeconds,
            boolean teacherReused, double teacherNll, double teacherEce, String teacherSource, long softLabelRows, double softLabelBytesPerRow,
            double softLabelSeconds, Map<String, Student> students, Map<String, Object> distill, double totalSeconds,
            Map<String, String> code, List<Figure> plots, String plotsError) {

        public Content {
            plots = plots == null ? List.of() : List.copyOf(plots);
        }
    }

    private Report() {
    }

    public static Map<String, Object> toMap(Content c) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("dataset", map("name", c.dataset(), "train", c.train(), "test", c.test()));
        Map<String, Object> teacher = map("accuracy", c.teacherAccuracy(), "params", c.teacherParams(), "seconds", c.teacherSeconds(),
                "reused", c.teacherReused(), "nll", c.teacherNll(), "ece", c.teacherEce());
        if (c.teacherSource() != null) {
            teacher.put("source", c.teacherSource());
        }
        root.put("teacher", teacher);
        root.put("soft_labels", map("rows", c.softLabelRows(), "bytes_per_row", c.softLabelBytesPerRow(), "seconds", c.softLabelSeconds()));
        Map<String, Object> students = new LinkedHashMap<>();
        for (Map.Entry<String, Student> e : c.students().entrySet()) {
            Student s = e.getValue();
            Map<String, Object> m = map("accuracy", s.accuracy(), "params", s.params(), "seconds", s.seconds(),
                    "train_seconds", s.trainSeconds(), "examples_per_s", s.examplesPerSecond(), "method", s.method(),
                    "nll", s.nll(), "ece", s.ece(), "teacher_agreement", s.teacherAgreement(), "kl_from_teacher", s.klFromTeacher(),
                    "teacher_agreement_where_teacher_right", s.agreementWhereTeacherRight(),
                    "teacher_agreement_where_teacher_wrong", s.agreementWhereTeacherWrong());
            students.put(e.getKey(), m);
        }
        root.put("students", students);
        root.put("distill", c.distill());
        root.put("total_seconds", c.totalSeconds());
        root.put("code", c.code());
        List<Map<String, Object>> plots = new java.util.ArrayList<>();
        for (Figure f : c.plots()) {
            plots.add(map("path", f.path(), "title", f.title(), "width", f.width(), "height", f.height()));
        }
        root.put("plots", plots);
        if (c.plotsError() != null) {
            root.put("plots_error", c.plotsError());
        }
        return root;
    }

    public static String json(Content c) {
        try {
            return Provenance.json().writeValueAsString(toMap(c));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String markdown(Content c) {
        StringBuilder md = new StringBuilder();
        md.append("# Distillation report: ").append(c.dataset()).append("\n\n");
        md.append(String.format(Locale.ROOT, "%d training and %d test images. Total time %.1f min. Code %s.%n%n",
                c.train(), c.test(), c.totalSeconds() / 60, c.code().getOrDefault("version", "?") + " " + c.code().getOrDefault("commit", "")));
        md.append("| model | method | test accuracy | params | train time | ECE | NLL | agreement with teacher |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        md.append(String.format(Locale.ROOT, "| teacher%s | - | %.2f%% | %s | %s | %.4f | %.4f | - |%n",
                c.teacherSource() == null ? "" : " (" + c.teacherSource() + ")", 100 * c.teacherAccuracy(),
                c.teacherParams() < 0 ? "-" : String.format(Locale.ROOT, "%,d", c.teacherParams()),
                c.teacherReused() ? "reused" : minutes(c.teacherSeconds()), c.teacherEce(), c.teacherNll()));
        for (Student s : c.students().values()) {
            md.append(String.format(Locale.ROOT, "| %s student | %s | %.2f%% | %,d | %s | %.4f | %.4f | %.2f%% |%n", s.name(), s.method(),
                    100 * s.accuracy(), s.params(), minutes(s.trainSeconds()), s.ece(), s.nll(), 100 * s.teacherAgreement()));
        }
        Student base = c.students().get("baseline");
        Student kd = c.students().get("kd");
        if (base != null && kd != null) {
            double gain = 100 * (kd.accuracy() - base.accuracy());
            md.append(String.format(Locale.ROOT, "%nKnowledge distillation changed the student's test accuracy by %+.2f points "
                    + "(same architecture, seed, data order and epochs)%s.%n", gain, c.teacherParams() < 0 ? ""
                    : String.format(Locale.ROOT, ", with %.1fx fewer parameters than the teacher", c.teacherParams() / (double) Math.max(1, kd.params()))));
        }
        md.append(String.format(Locale.ROOT, "%nSoft-label store: %,d rows, %.0f bytes per row, written in %.1f s.%n",
                c.softLabelRows(), c.softLabelBytesPerRow(), c.softLabelSeconds()));
        md.append("\nDistillation settings: `").append(c.distill()).append("`\n");
        plots(md, c);
        return md.toString();
    }

    /** Captions say how to read each plot; the file name decides which caption applies. */
    private static void plots(StringBuilder md, Content c) {
        if (c.plots().isEmpty() && c.plotsError() == null) {
            return;
        }
        md.append("\n## Plots\n");
        if (c.plotsError() != null) {
            md.append("\nThe plots could not be drawn: ").append(c.plotsError()).append("\n");
        }
        for (Figure f : c.plots()) {
            md.append("\n### ").append(f.title()).append("\n\n");
            md.append("![").append(f.title()).append("](").append(f.path()).append(")\n");
            String caption = caption(f.path());
            if (!caption.isEmpty()) {
                md.append("\n").append(caption).append("\n");
            }
        }
    }

    private static String caption(String path) {
        String file = path.substring(path.lastIndexOf('/') + 1);
        if (file.equals("training-loss.png")) {
            return "Mean minibatch loss of each epoch. Each student is scored on its own objective (the KD loss adds the "
                    + "T²-scaled soft-label term to the hard-label term), so compare the shapes, not the levels.";
        }
        if (file.equals("training-accuracy.png")) {
            return "Accuracy on the test split after each epoch (dashed: validation split, when the run has one), "
                    + "with the teacher's accuracy as a reference line.";
        }
        if (file.equals("reliability.png")) {
            return "Test images grouped by the model's top-class probability: a point below the diagonal means "
                    + "over-confidence, above it under-confidence. ECE is the image-weighted mean gap.";
        }
        if (file.startsWith("confusion-")) {
            return "Rows are true classes, columns predicted classes; off-diagonal cells are the student's mistakes.";
        }
        if (file.startsWith("top-confusions-")) {
            return "The student's most frequent mistakes, each as the share of its true class's test images predicted as the "
                    + "other class (too many classes for a readable matrix).";
        }
        if (file.equals("teacher-agreement.png")) {
            return "How often each student predicts the teacher's class, overall and split by whether the teacher "
                    + "was right: a distilled student also inherits some of the teacher's mistakes.";
        }
        return "";
    }

    /** A duration as the report prints it; "-" when not known (a teacher that was not trained by this run). */
    private static String minutes(double seconds) {
        if (Double.isNaN(seconds)) {
            return "-";
        }
        return seconds >= 60 ? String.format(Locale.ROOT, "%.1f min", seconds / 60) : String.format(Locale.ROOT, "%.0f s", seconds);
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static List<String> requiredKeys() {
        return List.of("dataset.name", "dataset.train", "dataset.test", "teacher.accuracy", "teacher.params", "soft_labels.rows",
                "soft_labels.bytes_per_row", "soft_labels.seconds", "students.baseline.accuracy", "students.baseline.params",
                "students.baseline.seconds", "students.kd.accuracy", "students.kd.params", "students.kd.seconds", "students.kd.method");
    }
}
