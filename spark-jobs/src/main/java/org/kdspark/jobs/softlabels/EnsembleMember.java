package org.kdspark.jobs.softlabels;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.onnx.OnnxTeacherBackend;
import org.kdspark.jobs.onnx.OnnxTeachers;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.onnx.VerifiedOnnxExport;

/**
 * One more teacher of an ensemble ({@code teacher.ensemble_seeds}, {@code soft_labels.ensemble_teachers}): an ONNX
 * classifier when the file ends in {@code .onnx}, else any teacher file {@link ExternalTeacher} accepts (DL4J
 * ComputationGraph or MultiLayerNetwork zip, Keras HDF5), converted on the driver. It contributes logits only; it is
 * checked against the image table on the driver before any work, as the run's teacher is.
 *
 * @param bytes  what the executors load: the ONNX file (given, or a DL4J member's verified export), or the DL4J zip
 * @param sha256 the original file's SHA-256
 * @param onnx   whether {@code bytes} is an ONNX model
 * @param kind   {@code onnx}, {@code dl4j-graph}, {@code dl4j-multilayer} or {@code keras-hdf5}
 * @param cuda   run the ONNX model on CUDA (a DL4J member's export follows {@code soft_labels.onnx_device})
 * @param export how a DL4J member's ONNX export was made and verified ({@link #viaOnnx}); empty otherwise
 */
record EnsembleMember(String uri, byte[] bytes, String sha256, boolean onnx, String kind, boolean cuda, Map<String, Object> export) {

    static final String KEY = "soft_labels.ensemble_teachers";

    static EnsembleMember load(HadoopFiles files, String configured, InputSpec spec, int numClasses) {
        return load(files, configured, KEY, spec, numClasses);
    }

    /** As {@link #load(HadoopFiles, String, InputSpec, int)}, naming config {@code key} in errors. */
    static EnsembleMember load(HadoopFiles files, String configured, String key, InputSpec spec, int numClasses) {
        String uri = files.qualify(configured);
        if (!uri.toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
            ExternalTeacher t = ExternalTeacher.load(files, configured, key, spec, List.of(), numClasses);
            return new EnsembleMember(t.uri(), t.zip(), t.sha256(), false, t.kind(), false, Map.of());
        }
        if (!files.exists(uri)) {
            throw new IllegalArgumentException(key + ": no model at " + uri);
        }
        byte[] bytes = files.readBytes(uri);
        EnsembleMember m = new EnsembleMember(uri, bytes, VerifiedOnnxExport.sha256(bytes), true, "onnx", false, Map.of());
        try {
            SoftLabelJob.checkOnnxTeacher(m.onnxTeacher(false), spec, List.of(), numClasses);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + uri + ": " + e.getMessage(), e);
        }
        return m;
    }

    /**
     * This DL4J member as its verified ONNX export, made once and kept in {@code cacheDir} like the run's teacher's,
     * when {@code soft_labels.backend} is {@code onnx} or {@code auto}; itself when the backend is {@code dl4j}, when it
     * is ONNX already, or when {@code auto} falls back because the export cannot be used (warned).
     */
    EnsembleMember viaOnnx(KdConfig.SoftLabels config, HadoopFiles files, String cacheDir, Supplier<LabeledImages> sample,
            String sampleSource) {
        if (onnx || config.backend.equals("dl4j")) {
            return this;
        }
        Optional<OnnxTeachers.OnnxTeacher> exported = OnnxTeachers.exported(config, files, new OnnxTeachers.Dl4jOriginal(uri, sha256,
                () -> ModelFiles.graphFromZip(bytes, false), () -> ModelFiles.provenanceFromZip(bytes)), cacheDir, List.of(), sample, sampleSource);
        return exported.map(t -> new EnsembleMember(uri, t.onnx(), sha256, true, kind, t.cuda(), t.details())).orElse(this);
    }

    private OnnxTeachers.OnnxTeacher onnxTeacher(boolean cuda) {
        return new OnnxTeachers.OnnxTeacher(bytes, sha256, uri, null, cuda, Map.of("backend", "onnx", "model", uri));
    }

    /** The member as the executors run it (its model broadcast once). */
    TeacherBackend backend(JavaSparkContext jsc, InputSpec spec) {
        if (onnx) {
            return new OnnxTeacherBackend(jsc.broadcast(bytes), sha256, spec, null, List.of(), cuda);
        }
        return new Dl4jTeacherBackend(jsc.broadcast(bytes), sha256, spec, List.of());
    }

    /** For the store's provenance. */
    Map<String, Object> details() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", uri);
        out.put("sha256", sha256);
        out.put("backend", onnx ? "onnx" : "dl4j");
        out.put("kind", kind);
        if (!export.isEmpty()) {
            out.put("onnx_export", export);
        }
        return out;
    }
}
