package org.kdspark.kd.gpu;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which GPUs ND4J 1.0.0-M2.1's CUDA backend ({@code nd4j-cuda-11.6}, the {@code -Pcuda} build) can run on.
 *
 * <p>Its {@code libnd4jcuda.so} carries compiled kernels (cubins) for exactly {@link #KERNELS} and no PTX, so the
 * driver cannot JIT-compile kernels for a newer architecture. This list was read from the fatbin headers of the
 * library in {@code nd4j-cuda-11.6-1.0.0-M2.1-linux-x86_64.jar} (228 fatbins, each with the same nine cubins).
 * A cubin built for {@code sm_XY} runs on devices of compute capability X.Z with Z &gt;= Y (CUDA's binary
 * compatibility within a major version), hence:
 *
 * <ul>
 *   <li>{@link Verdict#NATIVE}: a cubin for exactly this capability (3.7, 5.0, 5.2, 6.0, 6.1, 7.0, 7.5, 8.0, 8.6);</li>
 *   <li>{@link Verdict#BINARY_COMPATIBLE}: same major version, newer minor (5.3, 6.2, 7.2, 8.7, 8.9 Ada): runs the
 *       closest older cubin; not tested on such a GPU here, so the job warns and goes on;</li>
 *   <li>{@link Verdict#UNSUPPORTED}: older than 3.7 (Kepler K20/K40) or major 9 and newer (Hopper H100/H200,
 *       Blackwell): no kernel can run, and ND4J would fail on its first operation with
 *       {@code no kernel image is available for execution on the device}; the job refuses at start-up instead;</li>
 *   <li>{@link Verdict#UNKNOWN}: the capability could not be read.</li>
 * </ul>
 */
public final class Nd4jCudaSupport {

    /** Compute capabilities with compiled kernels in nd4j-cuda-11.6 1.0.0-M2.1. */
    public static final List<ComputeCapability> KERNELS = List.of(cc(3, 7), cc(5, 0), cc(5, 2), cc(6, 0), cc(6, 1), cc(7, 0),
            cc(7, 5), cc(8, 0), cc(8, 6));

    /** What the backend can do on one GPU. */
    public enum Verdict {
        NATIVE, BINARY_COMPATIBLE, UNSUPPORTED, UNKNOWN;

        /** Whether the job may run on such a GPU. */
        public boolean runs() {
            return this == NATIVE || this == BINARY_COMPATIBLE;
        }
    }

    /**
     * The verdict on one GPU and the reason in words.
     *
     * @param kernel the cubin that would run on it (null unless the verdict is NATIVE or BINARY_COMPATIBLE)
     */
    public record Decision(GpuDevice gpu, Verdict verdict, ComputeCapability kernel, String reason) {
    }

    private Nd4jCudaSupport() {
    }

    public static Decision decide(GpuDevice gpu) {
        Optional<ComputeCapability> parsed = ComputeCapability.parse(gpu.computeCapability());
        if (parsed.isEmpty()) {
            return new Decision(gpu, Verdict.UNKNOWN, null, "its compute capability reads '" + gpu.computeCapability()
                    + "' (a driver older than R510 cannot report it), so whether nd4j-cuda-11.6 runs on it was not checked");
        }
        ComputeCapability cc = parsed.get();
        ComputeCapability best = null;
        for (ComputeCapability k : KERNELS) {
            if (k.major() == cc.major() && k.minor() <= cc.minor()) {
                best = k;
            }
        }
        if (best != null && best.equals(cc)) {
            return new Decision(gpu, Verdict.NATIVE, best, "nd4j-cuda-11.6 has " + best.sm() + " kernels for it");
        }
        if (best != null) {
            return new Decision(gpu, Verdict.BINARY_COMPATIBLE, best, "nd4j-cuda-11.6 has no " + cc.sm() + " kernels; its " + best.sm()
                    + " kernels should run there (same major version), but this combination is untested");
        }
        ComputeCapability newest = KERNELS.get(KERNELS.size() - 1);
        String why = cc.compareTo(newest) > 0
                ? "is newer than its newest kernels (" + newest.sm() + ")"
                : "is older than its oldest kernels (" + KERNELS.get(0).sm() + ")";
        return new Decision(gpu, Verdict.UNSUPPORTED, null, "compute capability " + cc + " " + why);
    }

    /** The kernel list as {@code sm_37, sm_50, ..., sm_86}, for messages and docs. */
    public static String kernelList() {
        return KERNELS.stream().map(ComputeCapability::sm).collect(Collectors.joining(", "));
    }

    private static ComputeCapability cc(int major, int minor) {
        return new ComputeCapability(major, minor);
    }
}
