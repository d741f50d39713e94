package org.kdspark.jobs.teacher;

import java.util.List;
import java.util.Map;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.model.TeacherModels;
import org.kdspark.kd.provenance.Provenance;

/**
 * A DL4J or Keras teacher file from outside the run ({@code soft_labels.teacher_model}, an ensemble member), converted
 * on the driver and checked against the image table before any Spark work. Executors get {@link #zip()}, the
 * converted DL4J graph, and never see the original format (no HDF5 on the executors); the teacher's identity stays
 * the original file's SHA-256.
 *
 * @param uri     the qualified file URI
 * @param teacher the converted teacher
 * @param zip     its DL4J ComputationGraph zip, what the executors load (the file itself when nothing was converted)
 * @param shapes  each requested tap's per-image shape
 */
record ExternalTeacher(String uri, TeacherModels.Teacher teacher, byte[] zip, Map<String, List<Long>> shapes) {

    /** Kind of the provenance entry inside a converted teacher's zip. */
    static final String KIND = "imported-teacher";

    /**
     * Loads {@code configured}, checks it and converts it for the executors; every failure is a
     * {@link UserInputException} that starts with {@code key} and the file.
     */
    static ExternalTeacher load(HadoopFiles files, String configured, String key, InputSpec spec, List<String> taps, int numClasses) {
        String uri = files.qualify(configured);
        byte[] bytes = read(files, uri, key);
        Checked checked = check(bytes, uri, key, spec, taps, numClasses);
        TeacherModels.Teacher teacher = checked.teacher();
        if (teacher.conversion().isEmpty()) {
            // one of our own graph zips: executors load the very file
            return new ExternalTeacher(uri, teacher, bytes, checked.shapes());
        }
        Provenance provenance = Provenance.of(KIND, 1, "soft-labels")
                .withInput("source", uri)
                .withInput("source_sha256", teacher.sha256())
                .withDetail("source_kind", teacher.kind().id())
                .withDetail("conversion", teacher.conversion());
        return new ExternalTeacher(uri, teacher, teacher.toZip(provenance), checked.shapes());
    }

    /** Loads and checks {@code configured} without converting it ({@code numClasses} -1: any class count). */
    static TeacherModels.Teacher loadChecked(HadoopFiles files, String configured, String key, InputSpec spec, int numClasses) {
        String uri = files.qualify(configured);
        return check(read(files, uri, key), uri, key, spec, List.of(), numClasses).teacher();
    }

    private record Checked(TeacherModels.Teacher teacher, Map<String, List<Long>> shapes) {
    }

    private static byte[] read(HadoopFiles files, String uri, String key) {
        if (!files.exists(uri)) {
            throw new UserInputException(key + ": no model at " + uri);
        }
        return files.readBytes(uri);
    }

    private static Checked check(byte[] bytes, String uri, String key, InputSpec spec, List<String> taps, int numClasses) {
        try {
            TeacherModels.Teacher teacher = TeacherModels.load(bytes, uri);
            teacher.requireInput(spec);
            return new Checked(teacher, TeacherChecks.dl4j(teacher.graph(), spec, taps, numClasses));
        } catch (IllegalArgumentException e) {
            String message = e.getMessage() != null && e.getMessage().startsWith(uri) ? e.getMessage() : uri + ": " + e.getMessage();
            throw new UserInputException(key + ": " + message, e);
        }
    }

    String sha256() {
        return teacher.sha256();
    }

    String kind() {
        return teacher.kind().id();
    }

    /** For the store's provenance. */
    Map<String, Object> details() {
        Map<String, Object> out = new java.util.LinkedHashMap<>(teacher.details());
        out.put("model", uri);
        out.put("backend", "dl4j");
        return out;
    }
}
