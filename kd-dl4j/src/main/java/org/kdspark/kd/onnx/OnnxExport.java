package org.kdspark.kd.onnx;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@link OnnxExporter} wrote.
 *
 * @param file        the ONNX file
 * @param inputName   the graph's only input, {@code [N, C, H, W]} (or {@code [N, features]})
 * @param outputNames the network's outputs first, then the feature taps
 * @param sizeBytes   file size
 * @param sha256      hex SHA-256 of the file, for provenance of what is built on it
 * @param metadata    the model's {@code metadata_props}
 */
public record OnnxExport(Path file, String inputName, List<String> outputNames, long sizeBytes, String sha256,
                         Map<String, String> metadata) {

    public OnnxExport {
        outputNames = List.copyOf(outputNames);
        metadata = Map.copyOf(metadata);
    }
}
