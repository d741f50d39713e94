package org.kdspark.jobs.config;

/** {@code soft_labels.onnx_device}: where ONNX Runtime runs. */
public enum OnnxDevice implements ConfigChoice {
    CPU,
    /** GPU 0, with the ONNX Runtime GPU build ({@code -Pgpu-onnx}). */
    CUDA;

    @Override
    public String toString() {
        return configName();
    }
}
