package org.kdspark.jobs.onnx;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.onnx.OnnxClassifier;
import org.kdspark.kd.onnx.OnnxRuntimeEnvironment;
import org.kdspark.kd.onnx.OnnxVerificationException;
import org.kdspark.kd.onnx.UnsupportedModelException;
import org.kdspark.kd.onnx.VerifiedOnnxExport;
import org.kdspark.kd.provenance.Provenance;

/**
 * Decides, on the driver and before any Spark work, whether the soft-label job labels with ONNX Runtime and with
 * which file ({@code soft_labels.backend}, {@code soft_labels.teacher_onnx}):
 *
 * <ul>
 *   <li>{@code dl4j}: no ONNX.</li>
 *   <li>{@code soft_labels.teacher_onnx} set: that file, as given (there is no DL4J model to verify it against).</li>
 *   <li>otherwise the run's DL4J teacher, exported with {@code logits} and the feature taps as outputs and verified on
 *       the test images ({@link OnnxModelExport}). If it does not verify, {@code onnx} stops with the layer and the
 *       difference; {@code auto} prints a warning and labels with DL4J.</li>
 * </ul>
 */
public final class OnnxTeachers {

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

    private OnnxTeachers() {
    }

    /**
     * The ONNX teacher for {@code config}, or empty when the job labels with DL4J.
     *
     * @param teacherUri the run's DL4J teacher zip ({@code dl4jTeacher} is read from it); unused with teacher_onnx
     * @param sample     test images to verify an export on (fetched only when an export is made)
     */
    public static Optional<OnnxTeacher> resolve(KdConfig.SoftLabels config, HadoopFiles files, String teacherUri,
            ComputationGraph dl4jTeacher, Provenance teacherProvenance, List<String> taps, Supplier<LabeledImages> sample, String sampleSource) {
        if (config.backend.equals("dl4j")) {
            return Optional.empty();
        }
        boolean cuda = config.onnxDevice.equals("cuda");
        if (cuda && !OnnxRuntimeEnvironment.cudaBuild()) {
            // the same jar runs on the executors: refuse now rather than in every task
            throw new OnnxRuntimeEnvironment.GpuUnavailableException("soft_labels.onnx_device is cuda but this build's ONNX Runtime "
                    + "is the CPU-only one: rebuild with './mvnw -Pgpu-onnx package', or set soft_labels.onnx_device: cpu");
        }
        if (config.teacherOnnx != null) {
            String uri = files.qualify(config.teacherOnnx);
            if (!files.exists(uri)) {
                throw new IllegalArgumentException("soft_labels.teacher_onnx: no file at " + uri);
            }
            byte[] bytes = files.readBytes(uri);
            return Optional.of(new OnnxTeacher(bytes, files.sha256(uri), uri, null, cuda,
                    Map.of("backend", "onnx", "model", uri, "origin", "external ONNX file, not verified (no DL4J original)")));
        }
        try {
            VerifiedOnnxExport.Result r = OnnxModelExport.export(dl4jTeacher, teacherUri, files.sha256(teacherUri), teacherProvenance,
                    OnnxModelExport.withLogits(taps), sample.get(), sampleSource);
            return Optional.of(new OnnxTeacher(r.bytes(), r.sha256(), teacherUri, OnnxClassifier.LOGITS, cuda,
                    Map.of("backend", "onnx", "model", "ONNX export of " + teacherUri, "onnx_sha256", r.sha256(),
                            "verified_images", r.verification().batchSize(), "verified_max_abs_diff", r.verification().maxAbsDiff())));
        } catch (OnnxVerificationException | UnsupportedModelException | IllegalStateException | LinkageError e) {
            // not verified, not exportable, or ONNX Runtime cannot run here (its natives do not load)
            if (config.backend.equals("onnx")) {
                throw new IllegalStateException("soft_labels.backend onnx: the teacher's ONNX export cannot be used: " + e.getMessage()
                        + " (soft_labels.backend: auto falls back to DL4J instead)", e);
            }
            System.err.println("WARNING: soft-labels: labelling with DL4J, not ONNX Runtime: the teacher's ONNX export cannot be "
                    + "used: " + e.getMessage());
            return Optional.empty();
        }
    }
}
