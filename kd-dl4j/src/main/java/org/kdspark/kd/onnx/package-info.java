/**
 * ONNX in and out of the library.
 *
 * <p>{@link org.kdspark.kd.onnx.OnnxExporter} writes a DL4J {@code ComputationGraph} or {@code MultiLayerNetwork}
 * as an ONNX model (opset 13, dynamic batch, NCHW float input) with named feature taps and provenance in its
 * metadata; {@link org.kdspark.kd.onnx.OnnxVerifier} runs the written file in ONNX Runtime beside DL4J on the same
 * batch and refuses it when they differ; {@link org.kdspark.kd.onnx.OnnxModel} runs an ONNX file in ONNX Runtime
 * (CPU), created through {@link org.kdspark.kd.onnx.OnnxRuntimeEnvironment}, which avoids the runtime's known
 * start-up crash.
 *
 * <p>The ONNX protobuf classes come from {@code nd4j-api} ({@code onnx.Onnx}, shaded protobuf); writing needs no
 * extra dependency. Running needs {@code com.microsoft.onnxruntime:onnxruntime}.
 */
package org.kdspark.kd.onnx;
