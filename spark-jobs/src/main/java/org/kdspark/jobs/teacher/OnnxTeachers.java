package org.kdspark.jobs.teacher;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.config.LabellingBackend;
import org.kdspark.jobs.config.OnnxDevice;
import org.kdspark.jobs.onnx.OnnxModelExport;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.error.JobFailedException;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.onnx.OnnxClassifier;
import org.kdspark.kd.onnx.OnnxRuntimeEnvironment;
import org.kdspark.kd.onnx.VerifiedOnnxExport;
import org.kdspark.kd.provenance.Hashes;
import org.kdspark.kd.provenance.Provenance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ONNX models teachers label with, decided on the driver before any Spark work ({@code soft_labels.backend},
 * {@code soft_labels.teacher_onnx}):
 *
 * <ul>
 *   <li>{@code dl4j}: no ONNX.</li>
 *   <li>{@code soft_labels.teacher_onnx} set: that file, as given (there is no DL4J model to verify it against).</li>
 *   <li>otherwise the run's DL4J teacher, exported with {@code logits} and the feature taps as outputs and verified on
 *       the test images ({@link OnnxModelExport}). If it does not verify, {@code onnx} stops with the layer and the
 *       difference; {@code auto} prints a warning and labels with DL4J.</li>
 * </ul>
 *
 * <p>The run's own teacher keeps its verified export beside it ({@value #CACHED}, with {@value #CACHED}{@code .json}
 * naming the teacher zip's SHA-256, the outputs and the file's SHA-256): a later job on the same teacher and taps
 * (a re-run, the nightly retrain's new images) reuses it instead of exporting and verifying again.
 */
public final class OnnxTeachers {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxTeachers.class);

    /**
     * The ONNX model the job labels with.
     *
     * @param onnx         the file's bytes (broadcast to the executors)
     * @param sha256       hex SHA-256 of {@code onnx}, the executors' cache key
     * @param source       where it came from: the external file's URI, or the DL4J teacher it was exported from
     * @param logitsOutput the output holding the logits
     * @param cuda         run on CUDA (soft_labels.onnx_device)
     * @param details      for the store's provenance: how it was made and verified
     */
    public record OnnxTeacher(byte[] onnx, String sha256, String source, String logitsOutput, boolean cuda,
            Map<String, Object> details) {
    }

    /**
     * A DL4J teacher that may be exported: its file, that file's SHA-256 (the kept export's key), and its graph and
     * provenance, read from the file only when an export is made (a job reusing the kept export needs neither).
     */
    public record Dl4jOriginal(String uri, String sha256, Supplier<ComputationGraph> graph, Supplier<Provenance> provenance) {
    }

    /** The verified export kept in the teacher's directory. */
    public static final String CACHED = "labelling.onnx";

    private OnnxTeachers() {
    }

    /**
     * An ONNX classifier given as a file ({@code soft_labels.teacher_onnx}, an ensemble member), labelled as given: there
     * is no DL4J original to verify it against.
     *
     * @param key the config key that names it, for messages
     */
    public static OnnxTeacher external(HadoopFiles files, String configured, String key, KdConfig.SoftLabels config) {
        boolean cuda = requireUsableDevice(config);
        String uri = files.qualify(configured);
        if (!files.exists(uri)) {
            throw new UserInputException(key + ": no file at " + uri);
        }
        byte[] bytes = files.readBytes(uri);
        return new OnnxTeacher(bytes, Hashes.sha256(bytes), uri, null, cuda,
                Map.of("backend", "onnx", "model", uri, "origin", "external ONNX file, not verified (no DL4J original)"));
    }

    /**
     * Whether ONNX Runtime runs on CUDA ({@code soft_labels.onnx_device}); refuses CUDA in a CPU-only build now rather
     * than in every task (the same jar runs on the executors).
     */
    static boolean requireUsableDevice(KdConfig.SoftLabels config) {
        boolean cuda = config.onnxDevice() == OnnxDevice.CUDA;
        if (cuda && !OnnxRuntimeEnvironment.cudaBuild()) {
            throw new OnnxRuntimeEnvironment.GpuUnavailableException("soft_labels.onnx_device is cuda but this build's ONNX Runtime "
                    + "is the CPU-only one: rebuild with './mvnw -Pgpu-onnx package', or set soft_labels.onnx_device: cpu");
        }
        return cuda;
    }

    /**
     * The verified ONNX export of the DL4J {@code teacher} (kept in and reused from {@code cacheDir}), or empty when it
     * cannot be used and {@code soft_labels.backend} is {@code auto}. The caller has checked that the backend is not
     * {@code dl4j}.
     *
     * @param teacher  the DL4J teacher, read only when an export is made
     * @param cacheDir where the verified export is kept and looked for (a run's own teacher directory), or null
     * @param sample   test images to verify an export on (fetched only when an export is made)
     */
    public static Optional<OnnxTeacher> exported(KdConfig.SoftLabels config, HadoopFiles files, Dl4jOriginal teacher, String cacheDir,
            List<String> taps, Supplier<LabeledImages> sample, String sampleSource) {
        boolean cuda = requireUsableDevice(config);
        String teacherUri = teacher.uri();
        String teacherSha = teacher.sha256();
        List<String> outputs = OnnxModelExport.withLogits(taps);
        Optional<OnnxTeacher> cached = cached(files, cacheDir, teacherUri, teacherSha, outputs, cuda);
        if (cached.isPresent()) {
            return cached;
        }
        ComputationGraph graph = teacher.graph().get();
        try {
            VerifiedOnnxExport.Result r = OnnxModelExport.export(graph, teacherUri, teacherSha, teacher.provenance().get(), outputs, sample.get(),
                    sampleSource);
            Map<String, Object> details = Map.of("backend", "onnx", "model", "ONNX export of " + teacherUri, "onnx_sha256", r.sha256(),
                    "verified_images", r.verification().batchSize(), "verified_max_abs_diff", r.verification().maxAbsDiff());
            keep(files, cacheDir, r.bytes(), new CacheEntry(teacherSha, outputs, r.sha256(), details));
            return Optional.of(new OnnxTeacher(r.bytes(), r.sha256(), teacherUri, OnnxClassifier.LOGITS, cuda, details));
        } catch (IllegalStateException | LinkageError e) {
            // not verified (OnnxVerificationException), not exportable (UnsupportedModelException), or ONNX Runtime cannot
            // run here (its natives do not load)
            if (config.backend() == LabellingBackend.ONNX) {
                throw new JobFailedException("soft_labels.backend onnx: the teacher's ONNX export cannot be used: " + e.getMessage()
                        + " (soft_labels.backend: auto falls back to DL4J instead)", e);
            }
            LOG.warn("labelling with DL4J, not ONNX Runtime: the teacher's ONNX export cannot be used: {}", e.getMessage());
            return Optional.empty();
        }
    }
    /** The sidecar of a kept export: what it was made from and how it verified. */
    record CacheEntry(String teacherSha256, List<String> outputs, String onnxSha256, Map<String, Object> details) {
    }

    /** The kept export of this teacher with these outputs, if its sidecar says so and its bytes match. */
    private static Optional<OnnxTeacher> cached(HadoopFiles files, String cacheDir, String teacherUri, String teacherSha, List<String> outputs,
            boolean cuda) {
        if (cacheDir == null || !files.exists(cacheDir + "/" + CACHED) || !files.exists(cacheDir + "/" + CACHED + ".json")) {
            return Optional.empty();
        }
        try {
            CacheEntry entry = Provenance.json().readValue(files.readString(cacheDir + "/" + CACHED + ".json"), CacheEntry.class);
            if (!entry.teacherSha256().equals(teacherSha) || !entry.outputs().equals(outputs)) {
                return Optional.empty();
            }
            byte[] bytes = files.readBytes(cacheDir + "/" + CACHED);
            if (!Hashes.sha256(bytes).equals(entry.onnxSha256())) {
                return Optional.empty();
            }
            Map<String, Object> details = new java.util.LinkedHashMap<>(entry.details());
            details.put("reused", cacheDir + "/" + CACHED);
            return Optional.of(new OnnxTeacher(bytes, entry.onnxSha256(), teacherUri, OnnxClassifier.LOGITS, cuda, details));
        } catch (java.io.IOException | RuntimeException e) {
            LOG.warn("not reusing {}/{} ({}): exporting the teacher again", cacheDir, CACHED, e.getMessage());
            return Optional.empty();
        }
    }

    /** Keeps a verified export for the next job; a teacher directory that cannot be written only costs that reuse. */
    private static void keep(HadoopFiles files, String cacheDir, byte[] onnx, CacheEntry entry) {
        if (cacheDir == null) {
            return;
        }
        try {
            files.writeBytes(cacheDir + "/" + CACHED, onnx);
            files.writeString(cacheDir + "/" + CACHED + ".json", Provenance.json().writeValueAsString(entry));
        } catch (java.io.IOException | RuntimeException e) {
            LOG.warn("could not keep the teacher's ONNX export in {}: {}", cacheDir, e.getMessage());
        }
    }
}
