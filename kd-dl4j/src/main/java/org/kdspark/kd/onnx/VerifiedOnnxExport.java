package org.kdspark.kd.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import onnx.Onnx;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.provenance.Hashes;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Export and verification in one step, the way every ONNX file of the project is made: the graph is written by
 * {@link OnnxExporter}, run in ONNX Runtime beside DL4J on a sample of real images by {@link OnnxVerifier}, and only
 * a file that matches (max abs difference within the tolerance on every output, identical argmax) is returned, with
 * the verification's figures added to its {@code metadata_props} ({@code kd.verified.*}). A file that does not match
 * is never returned: {@link OnnxVerificationException} names the output, its layer and the difference.
 *
 * <p>Bytes rather than a file, so that callers can put the model on any Hadoop file system or in a broadcast.
 */
public final class VerifiedOnnxExport {

    /**
     * A verified ONNX model.
     *
     * @param bytes        the ONNX file
     * @param sha256       hex SHA-256 of {@code bytes}
     * @param outputs      the graph outputs: the network's outputs, then the taps
     * @param verification how it compared with DL4J
     */
    public record Result(byte[] bytes, String sha256, List<String> outputs, OnnxVerification verification) {
    }

    private VerifiedOnnxExport() {
    }

    /**
     * Exports {@code graph} for images of {@code spec} with {@code taps} as extra outputs and {@code metadata} in the
     * file, verifies it on {@code sample} ({@code [N, C, H, W]}, normalised like the training input) with the
     * default tolerance ({@value OnnxVerifier#DEFAULT_TOLERANCE}), and returns it.
     *
     * @param sampleSource what the sample is (e.g. {@code test split of out/run/images, 256 images}), recorded in
     *                     the file
     */
    public static Result export(ComputationGraph graph, InputSpec spec, List<String> taps, Map<String, String> metadata,
                                INDArray sample, String sampleSource) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("kd-export", ".onnx");
            OnnxExport export = OnnxExporter.builder().inputShape(spec.channels(), spec.height(), spec.width())
                    .taps(taps.toArray(String[]::new)).metadata(metadata).build().export(graph, tmp);
            OnnxVerification v = new OnnxVerifier().verify(graph, tmp, sample);
            Map<String, String> verified = new TreeMap<>();
            verified.put("kd.verified.images", Long.toString(sample.size(0)));
            verified.put("kd.verified.images_source", sampleSource);
            verified.put("kd.verified.tolerance", Double.toString(v.tolerance()));
            verified.put("kd.verified.max_abs_diff", String.format(Locale.ROOT, "%.3g", v.maxAbsDiff()));
            verified.put("kd.verified.argmax_identical", "true");
            Onnx.ModelProto.Builder model = Onnx.ModelProto.parseFrom(Files.readAllBytes(tmp)).toBuilder();
            verified.forEach((k, value) -> model.addMetadataProps(
                    Onnx.StringStringEntryProto.newBuilder().setKey(k).setValue(value)));
            byte[] bytes = model.build().toByteArray();
            return new Result(bytes, Hashes.sha256(bytes), export.outputNames(), v);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a temporary ONNX file", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

}
