package org.kdspark.kd.gpu;

/** The CUDA build was started on a JVM whose GPU its ND4J backend cannot run on; the message says what to use instead. */
public final class UnsupportedGpuException extends org.kdspark.kd.error.UserInputException {

    private static final long serialVersionUID = 1L;

    public UnsupportedGpuException(String message) {
        super(message);
    }
}
