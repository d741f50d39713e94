package org.kdspark.kd.onnx;

/**
 * The network holds something the exporter cannot write as ONNX: a layer, vertex, preprocessor, activation or
 * setting. The message names the vertex, its class and what is supported.
 */
public class UnsupportedModelException extends org.kdspark.kd.error.JobFailedException {

    public UnsupportedModelException(String message) {
        super(message);
    }
}
