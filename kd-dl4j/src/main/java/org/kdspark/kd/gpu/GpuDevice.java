package org.kdspark.kd.gpu;

/**
 * One GPU as {@code nvidia-smi} lists it.
 *
 * @param index             the index nvidia-smi and Spark's GPU discovery script use as its address
 * @param name              the product name, e.g. {@code NVIDIA H100 80GB HBM3}
 * @param computeCapability the raw {@code compute_cap} text, e.g. {@code 9.0} (kept raw: old drivers print {@code [N/A]})
 */
public record GpuDevice(String index, String name, String computeCapability) {

    @Override
    public String toString() {
        return "GPU " + index + " (" + name + ", compute capability " + computeCapability + ")";
    }
}
