package org.kdspark.jobs.config;

/** {@code soft_labels.backend}: who runs the teacher in the soft-label job. */
public enum LabellingBackend implements ConfigChoice {
    /** Deeplearning4j. */
    DL4J,
    /** ONNX Runtime, on the teacher's verified ONNX export or on an ONNX teacher; an export that does not verify is an error. */
    ONNX,
    /** As {@link #ONNX}, but an export that cannot be used falls back to DL4J with a warning. */
    AUTO;

    @Override
    public String toString() {
        return configName();
    }
}
