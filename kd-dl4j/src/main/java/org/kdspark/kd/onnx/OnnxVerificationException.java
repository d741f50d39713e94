package org.kdspark.kd.onnx;

/** An exported ONNX model does not reproduce DL4J's outputs; the message names the output, vertex and difference. */
public class OnnxVerificationException extends org.kdspark.kd.error.JobFailedException {

    private final transient OnnxVerification verification;

    public OnnxVerificationException(String message, OnnxVerification verification) {
        super(message);
        this.verification = verification;
    }

    /** The full comparison, every output included. */
    public OnnxVerification verification() {
        return verification;
    }
}
