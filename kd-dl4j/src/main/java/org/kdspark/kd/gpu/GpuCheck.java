package org.kdspark.kd.gpu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up check of the {@code -Pcuda} build: before ND4J loads its CUDA backend, read the compute capability of
 * every GPU this JVM would use and refuse one that {@link Nd4jCudaSupport nd4j-cuda-11.6} cannot run on, with a
 * message that says what to use instead. On the CPU build (no CUDA backend on the classpath) it does nothing.
 *
 * <p>Which GPUs: the addresses Spark assigned (an executor's {@code gpu} resource), else those named by
 * {@code CUDA_VISIBLE_DEVICES} when it lists indices, else all that nvidia-smi lists. Setting {@code KD_GPU_CHECK=off}
 * (or {@code -Dkd.gpu.check=off}) skips the check, for a custom ND4J build with other kernels;
 * {@code -Dkd.gpu.nvidiaSmi=PATH} names the nvidia-smi to run.
 */
public final class GpuCheck {

    private static final Logger LOG = LoggerFactory.getLogger(GpuCheck.class);

    /** ND4J's CUDA backend, present only in the {@code -Pcuda} build. */
    public static final String CUDA_BACKEND_CLASS = "org.nd4j.linalg.jcublas.JCublasBackend";
    public static final String SWITCH_ENV = "KD_GPU_CHECK";
    public static final String SWITCH_PROPERTY = "kd.gpu.check";
    public static final String NVIDIA_SMI_PROPERTY = "kd.gpu.nvidiaSmi";

    /** What to do instead when the GPU is too new or too old for the backend. */
    static final String ALTERNATIVES = "Use instead: (1) the CPU build (./mvnw -Pcluster-jar -DskipTests package without -Pcuda; "
            + "deploy/submit.sh without KD_GPUS), which runs every job; (2) for the soft-label pass on this GPU, the ONNX Runtime "
            + "GPU build (./mvnw -Pgpu-onnx package with soft_labels.backend: onnx and soft_labels.onnx_device: cuda; "
            + "onnxruntime_gpu has kernels up to Hopper and Blackwell); or (3) a GPU of compute capability 3.7 to 8.x "
            + "(Kepler K80 to Ampere and Ada). A custom ND4J build with newer kernels can skip this check with "
            + SWITCH_ENV + "=off.";

    /** What to do instead when there is no GPU at all. */
    static final String NO_GPU_ALTERNATIVES = "Give this JVM a GPU (executors through spark.executor.resource.gpu.*, the driver "
            + "through spark.driver.resource.gpu.*; deploy/*-gpu.sh set both), or use the CPU build (./mvnw -Pcluster-jar "
            + "-DskipTests package without -Pcuda; deploy/submit.sh without KD_GPUS).";

    /** The result: warnings to log, and the refusal (null when the job may go on). */
    public record Outcome(List<String> warnings, String refusal) {

        public Outcome {
            warnings = List.copyOf(warnings);
        }
    }

    private GpuCheck() {
    }

    /** Whether ND4J's CUDA backend is on this JVM's classpath (the class is looked up, not initialised). */
    public static boolean cudaBackendPresent() {
        try {
            Class.forName(CUDA_BACKEND_CLASS, false, GpuCheck.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Whether the check is switched off by {@code KD_GPU_CHECK=off} or {@code -Dkd.gpu.check=off}. */
    public static boolean disabled() {
        String value = System.getProperty(SWITCH_PROPERTY, System.getenv(SWITCH_ENV));
        return value != null && List.of("off", "false", "0", "no").contains(value.trim().toLowerCase(Locale.ROOT));
    }

    /**
     * Runs the check in this JVM when it has the CUDA backend: logs warnings, and throws
     * {@link UnsupportedGpuException} when a GPU it would use cannot run the backend, or when it has no GPU at all.
     *
     * @param where     who is checking, for the message (e.g. {@code driver}, {@code executor 3 on host h})
     * @param addresses the GPU addresses Spark assigned to this JVM; empty when Spark assigned none
     */
    public static void require(String where, Collection<String> addresses) {
        if (!cudaBackendPresent() || disabled()) {
            return;
        }
        NvidiaSmi.GpuList gpus = NvidiaSmi.query(System.getProperty(NVIDIA_SMI_PROPERTY, "nvidia-smi"));
        Outcome outcome = evaluate(where, gpus, addresses, System.getenv("CUDA_VISIBLE_DEVICES"),
                Files.exists(Path.of("/dev/nvidiactl")));
        outcome.warnings().forEach(w -> LOG.warn("{}", w));
        if (outcome.refusal() != null) {
            throw new UnsupportedGpuException(outcome.refusal());
        }
        if (outcome.warnings().isEmpty()) {
            LOG.info("{}: GPUs {} are supported by nd4j-cuda-11.6", where, gpus.gpus());
        }
    }

    /**
     * The decision, from what nvidia-smi answered and which GPUs this JVM uses.
     *
     * @param visibleDevices      the value of {@code CUDA_VISIBLE_DEVICES}, or null
     * @param nvidiaDevicePresent whether {@code /dev/nvidiactl} exists (the driver is loaded)
     */
    public static Outcome evaluate(String where, NvidiaSmi.GpuList gpus, Collection<String> addresses, String visibleDevices,
            boolean nvidiaDevicePresent) {
        List<String> warnings = new ArrayList<>();
        String prefix = where + ": this is the CUDA build (ND4J nd4j-cuda-11.6 on the classpath)";
        if (!gpus.ok()) {
            if (!nvidiaDevicePresent) {
                return new Outcome(warnings, prefix + ", but this JVM sees no NVIDIA GPU (" + gpus.error()
                        + "; no /dev/nvidiactl), and ND4J's CUDA backend cannot start without one. " + NO_GPU_ALTERNATIVES);
            }
            warnings.add(where + ": could not read the GPUs' compute capability (" + gpus.error()
                    + "); nd4j-cuda-11.6 runs only on compute capability 3.7 to 8.x (" + Nd4jCudaSupport.kernelList()
                    + "), not on Hopper (H100, H200) or newer; not checked");
            return new Outcome(warnings, null);
        }
        List<GpuDevice> used = selected(gpus.gpus(), addresses, visibleDevices);
        if (used.isEmpty()) {
            return new Outcome(warnings, prefix + ", but nvidia-smi lists no GPU " + (gpus.gpus().isEmpty() ? "on this host"
                    : "with the assigned addresses " + addresses + " (it lists " + gpus.gpus() + ")")
                    + ", and ND4J's CUDA backend cannot start without one. " + NO_GPU_ALTERNATIVES);
        }
        List<String> refused = new ArrayList<>();
        for (GpuDevice gpu : used) {
            Nd4jCudaSupport.Decision d = Nd4jCudaSupport.decide(gpu);
            switch (d.verdict()) {
                case NATIVE -> { }
                case BINARY_COMPATIBLE, UNKNOWN -> warnings.add(where + ": " + gpu + ": " + d.reason());
                case UNSUPPORTED -> refused.add(gpu + ": " + d.reason());
            }
        }
        if (!refused.isEmpty()) {
            return new Outcome(warnings, prefix + ", which cannot run on " + String.join("; ", refused) + ". ND4J 1.0.0-M2.1's CUDA "
                    + "backend ships kernels for " + Nd4jCudaSupport.kernelList() + " only (no PTX). " + ALTERNATIVES);
        }
        return new Outcome(warnings, null);
    }

    /** The GPUs this JVM would use: Spark's addresses, else CUDA_VISIBLE_DEVICES when it lists indices, else all. */
    static List<GpuDevice> selected(List<GpuDevice> all, Collection<String> addresses, String visibleDevices) {
        Set<String> wanted = new TreeSet<>();
        if (addresses != null && !addresses.isEmpty()) {
            addresses.forEach(a -> wanted.add(a.trim()));
        } else if (visibleDevices != null && !visibleDevices.isBlank()) {
            for (String d : visibleDevices.split(",")) {
                String t = d.trim();
                if (!t.chars().allMatch(Character::isDigit) || t.isEmpty()) {
                    return all; // UUIDs or MIG names: cannot map them to indices, check every GPU
                }
                wanted.add(t);
            }
        } else {
            return all;
        }
        return all.stream().filter(g -> wanted.contains(g.index())).toList();
    }
}
