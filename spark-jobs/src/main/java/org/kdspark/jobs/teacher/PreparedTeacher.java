package org.kdspark.jobs.teacher;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.api.java.JavaSparkContext;
import org.kdspark.jobs.config.EnsembleMode;
import org.kdspark.kd.provenance.Hashes;

/**
 * A teacher checked against the image table on the driver, ready to label: what the executors run
 * ({@link #backend}), its identity ({@link #sha256()}, which keys the store version), the shapes of its feature taps and
 * what the store's provenance records of it. Made by {@link Teachers#prepare}.
 */
public final class PreparedTeacher {

    private final String source;
    private final String sha256;
    private final String kind;
    private final Map<String, List<Long>> tapShapes;
    private final Map<String, Object> details;
    private final Function<JavaSparkContext, TeacherBackend> backend;
    private final List<PreparedTeacher> members;
    private final EnsembleMode mode;

    /**
     * One teacher.
     *
     * @param source    its file, for provenance
     * @param sha256    its file's SHA-256 (an imported teacher's original file, not its conversion)
     * @param kind      {@code dl4j-graph}, {@code dl4j-multilayer}, {@code keras-hdf5} or {@code onnx}
     * @param tapShapes each feature tap's per-image shape
     * @param details   how it labels (backend, export and verification), for provenance
     * @param backend   the executors' teacher, its model broadcast once
     */
    PreparedTeacher(String source, String sha256, String kind, Map<String, List<Long>> tapShapes, Map<String, Object> details,
            Function<JavaSparkContext, TeacherBackend> backend) {
        this.source = source;
        this.sha256 = sha256;
        this.kind = kind;
        this.tapShapes = Collections.unmodifiableMap(new LinkedHashMap<>(tapShapes));
        this.details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
        this.backend = backend;
        this.members = List.of();
        this.mode = null;
    }

    private PreparedTeacher(List<PreparedTeacher> members, EnsembleMode mode) {
        PreparedTeacher first = members.get(0);
        StringBuilder key = new StringBuilder(first.sha256);
        members.subList(1, members.size()).forEach(m -> key.append(',').append(m.sha256));
        this.source = first.source;
        this.sha256 = Hashes.ofText(key + ";" + mode);
        this.kind = "ensemble";
        this.tapShapes = first.tapShapes;
        this.details = first.details;
        this.backend = jsc -> new EnsembleTeacherBackend(members.stream().map(m -> m.backend(jsc)).toList(), mode);
        this.members = List.copyOf(members);
        this.mode = mode;
    }

    /** The ensemble of {@code members}, the first one's taps stored. */
    static PreparedTeacher ensemble(List<PreparedTeacher> members, EnsembleMode mode) {
        return new PreparedTeacher(members, mode);
    }

    /** The first teacher's file (an ensemble's first member's), for provenance. */
    public String source() {
        return source;
    }

    /**
     * The teacher's identity: its file's SHA-256, or for an ensemble a hash of every member's and the mode. It keys the
     * store version, so a re-run with the same teachers finds its version.
     */
    public String sha256() {
        return sha256;
    }

    /** The first teacher's SHA-256 (the teacher's own for one teacher). */
    public String firstSha256() {
        return members.isEmpty() ? sha256 : members.get(0).sha256;
    }

    /** Each feature tap's per-image shape, without the batch dimension. */
    public Map<String, List<Long>> tapShapes() {
        return tapShapes;
    }

    /** How the (first) teacher labels, for the store's provenance ({@code teacher_backend}). */
    public Map<String, Object> details() {
        return details;
    }

    /** An ensemble's members in order; empty for one teacher. */
    public List<PreparedTeacher> members() {
        return members;
    }

    /** An ensemble's mode; null for one teacher. */
    public EnsembleMode mode() {
        return mode;
    }

    /** Each member as the store's provenance lists it ({@code teachers}): file, SHA-256, backend, kind, ONNX export. */
    public List<Map<String, Object>> memberSummaries() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (PreparedTeacher m : members) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("model", m.source);
            e.put("sha256", m.sha256);
            e.put("backend", m.details.getOrDefault("backend", "dl4j"));
            e.put("kind", m.kind);
            if ("onnx".equals(m.details.get("backend")) && m.details.containsKey("onnx_sha256")) {
                e.put("onnx_export", m.details);
            }
            out.add(e);
        }
        return out;
    }

    /** The executors' teacher; its model (each member's) is broadcast here, once. */
    public TeacherBackend backend(JavaSparkContext jsc) {
        return backend.apply(jsc);
    }
}
