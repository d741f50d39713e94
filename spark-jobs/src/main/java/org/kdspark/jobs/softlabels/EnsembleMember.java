package org.kdspark.jobs.softlabels;

import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.onnx.OnnxTeacherBackend;
import org.kdspark.jobs.onnx.OnnxTeachers;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.model.ModelFiles;

/**
 * One more teacher of an ensemble ({@code soft_labels.ensemble_teachers}): a DL4J ComputationGraph zip, or an ONNX
 * classifier when the file ends in {@code .onnx}. It contributes logits only; it is checked against the image table on
 * the driver before any work, as the run's teacher is.
 */
record EnsembleMember(String uri, byte[] bytes, String sha256, boolean onnx) {

    static EnsembleMember load(HadoopFiles files, String configured, InputSpec spec, int numClasses) {
        String uri = files.qualify(configured);
        if (!files.exists(uri)) {
            throw new IllegalArgumentException("soft_labels.ensemble_teachers: no model at " + uri);
        }
        byte[] bytes = files.readBytes(uri);
        boolean onnx = uri.toLowerCase(java.util.Locale.ROOT).endsWith(".onnx");
        EnsembleMember m = new EnsembleMember(uri, bytes, files.sha256(uri), onnx);
        try {
            if (onnx) {
                SoftLabelJob.checkOnnxTeacher(m.onnxTeacher(false), spec, List.of(), numClasses);
            } else {
                ComputationGraph graph;
                try {
                    graph = ModelFiles.graphFromZip(bytes, false);
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(e.getMessage() + " (an ONNX teacher must end in .onnx)", e);
                }
                SoftLabelJob.checkTeacher(graph, spec, List.of(), numClasses);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("soft_labels.ensemble_teachers: " + uri + ": " + e.getMessage(), e);
        }
        return m;
    }

    private OnnxTeachers.OnnxTeacher onnxTeacher(boolean cuda) {
        return new OnnxTeachers.OnnxTeacher(bytes, sha256, uri, null, cuda, Map.of("backend", "onnx", "model", uri));
    }

    /** The member as the executors run it (its model broadcast once). */
    TeacherBackend backend(JavaSparkContext jsc, InputSpec spec) {
        if (onnx) {
            return new OnnxTeacherBackend(jsc.broadcast(bytes), sha256, spec, null, List.of(), false);
        }
        return new Dl4jTeacherBackend(jsc.broadcast(bytes), sha256, spec, List.of());
    }

    /** For the store's provenance. */
    Map<String, Object> details() {
        return Map.of("model", uri, "sha256", sha256, "backend", onnx ? "onnx" : "dl4j");
    }
}
