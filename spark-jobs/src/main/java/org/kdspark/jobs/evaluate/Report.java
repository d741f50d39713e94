package org.kdspark.jobs.evaluate;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.kdspark.kd.provenance.Provenance;

/**
 * The run report: {@code report.json} (stable keys for machines, accuracies as fractions) and
 * {@code report.md} (the same for people).
 */
public final class Report {

    /** One student's line in the report. */
    public record Student(String name, String method, double accuracy, long params, double seconds, double trainSeconds,
            double examplesPerSecond, double nll, double ece, double teacherAgreement, double klFromTeacher) {
    }

    /** Everything the report states. */
    public record Content(String dataset, long train, long test, double teacherAccuracy, long teacherParams, double teacherSeconds,
            boolean teacherReused, double teacherNll, double teacherEce, long softLabelRows, double softLabelBytesPerRow,
            double softLabelSeconds, Map<String, Student> students, Map<String, Object> distill, double totalSeconds,
            Map<String, String> code) {
    }

    private Report() {
    }

    public static Map<String, Object> toMap(Content c) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("dataset", map("name", c.dataset(), "train", c.train(), "test", c.test()));
        root.put("teacher", map("accuracy", c.teacherAccuracy(), "params", c.teacherParams(), "seconds", c.teacherSeconds(),
                "reused", c.teacherReused(), "nll", c.teacherNll(), "ece", c.teacherEce()));
        root.put("soft_labels", map("rows", c.softLabelRows(), "bytes_per_row", c.softLabelBytesPerRow(), "seconds", c.softLabelSeconds()));
        Map<String, Object> students = new LinkedHashMap<>();
        for (Map.Entry<String, Student> e : c.students().entrySet()) {
            Student s = e.getValue();
            Map<String, Object> m = map("accuracy", s.accuracy(), "params", s.params(), "seconds", s.seconds(),
                    "train_seconds", s.trainSeconds(), "examples_per_s", s.examplesPerSecond(), "method", s.method(),
                    "nll", s.nll(), "ece", s.ece(), "teacher_agreement", s.teacherAgreement(), "kl_from_teacher", s.klFromTeacher());
            students.put(e.getKey(), m);
        }
        root.put("students", students);
        root.put("distill", c.distill());
        root.put("total_seconds", c.totalSeconds());
        root.put("code", c.code());
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
        md.append(String.format(Locale.ROOT, "| teacher | - | %.2f%% | %,d | %s | %.4f | %.4f | - |%n", 100 * c.teacherAccuracy(), c.teacherParams(),
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
                    + "(same architecture, seed, data order and epochs), with %.1fx fewer parameters than the teacher.%n",
                    gain, c.teacherParams() / (double) Math.max(1, kd.params())));
        }
        md.append(String.format(Locale.ROOT, "%nSoft-label store: %,d rows, %.0f bytes per row, written in %.1f s.%n",
                c.softLabelRows(), c.softLabelBytesPerRow(), c.softLabelSeconds()));
        md.append("\nDistillation settings: `").append(c.distill()).append("`\n");
        return md.toString();
    }

    private static String minutes(double seconds) {
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
