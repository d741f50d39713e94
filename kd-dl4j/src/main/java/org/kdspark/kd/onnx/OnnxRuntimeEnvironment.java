package org.kdspark.kd.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The process-wide ONNX Runtime environment, created so that it cannot crash the JVM, and session options that
 * share cores politely.
 *
 * <p>ONNX Runtime 1.29 on Linux dies with SIGSEGV (no hs_err file) while creating its environment when the process
 * command line is longer than about 3.5 KB: its telemetry parses {@code /proc/self/cmdline} recursively. Surefire,
 * spark-submit and our launch scripts all make such command lines. Two independent guards: the build sets
 * {@code ORT_DISABLE_TELEMETRY=1} for tests, and this class creates the environment on a thread with a 64 MB stack,
 * which survives the recursion whatever the environment says.
 */
public final class OnnxRuntimeEnvironment {

    private static final long CREATION_STACK_BYTES = 64L << 20;
    private static volatile OrtEnvironment environment;

    private OnnxRuntimeEnvironment() {
    }

    /** The shared environment, created on first use. */
    public static OrtEnvironment get() {
        OrtEnvironment env = environment;
        if (env == null) {
            synchronized (OnnxRuntimeEnvironment.class) {
                env = environment;
                if (env == null) {
                    env = createOnBigStack();
                    environment = env;
                }
            }
        }
        return env;
    }

    private static OrtEnvironment createOnBigStack() {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "kd-spark");
                env.setTelemetry(false);
                result.set(env);
            } catch (Throwable e) {
                result.set(e);
            }
        }, "onnxruntime-init", CREATION_STACK_BYTES);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the ONNX Runtime environment", e);
        }
        if (result.get() instanceof OrtEnvironment env) {
            return env;
        }
        throw new IllegalStateException("cannot create the ONNX Runtime environment", (Throwable) result.get());
    }

    /**
     * Session options for CPU inference on {@code intraOpThreads} threads, sequential execution, all graph
     * optimisations, and no spinning: idle ORT threads must not burn the cores ND4J or Spark tasks share.
     */
    public static OrtSession.SessionOptions cpuOptions(int intraOpThreads) {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
        }
        get();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.addConfigEntry("session.inter_op.allow_spinning", "0");
            return options;
        } catch (OrtException e) {
            options.close();
            throw new IllegalStateException("cannot configure ONNX Runtime session options", e);
        }
    }

    /** Whether this build's ONNX Runtime has the CUDA execution provider (the {@code -Pgpu-onnx} build has). */
    public static boolean cudaBuild() {
        get();
        EnumSet<OrtProvider> providers = OrtEnvironment.getAvailableProviders();
        return providers.contains(OrtProvider.CUDA);
    }

    /**
     * CPU options plus the CUDA execution provider on {@code deviceId}. Refuses with a message saying what is
     * missing: the CUDA-enabled ONNX Runtime (build with {@code -Pgpu-onnx}), an NVIDIA GPU, or the CUDA 12 /
     * cuDNN 9 libraries. Nodes CUDA cannot run fall back to the CPU provider, as ONNX Runtime does by default.
     */
    public static OrtSession.SessionOptions cudaOptions(int deviceId, int intraOpThreads) {
        if (!cudaBuild()) {
            throw new GpuUnavailableException("this build's ONNX Runtime is the CPU-only one (providers "
                    + OrtEnvironment.getAvailableProviders() + "): rebuild with './mvnw -Pgpu-onnx package' to use "
                    + "com.microsoft.onnxruntime:onnxruntime_gpu, or set soft_labels.onnx_device: cpu");
        }
        OrtSession.SessionOptions options = cpuOptions(intraOpThreads);
        try {
            options.addCUDA(deviceId);
            return options;
        } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
            options.close();
            String gpu = Files.exists(Path.of("/dev/nvidia" + deviceId)) ? "/dev/nvidia" + deviceId + " exists"
                    : "no NVIDIA GPU device (/dev/nvidia" + deviceId + " is missing)";
            throw new GpuUnavailableException("ONNX Runtime cannot use CUDA device " + deviceId + " (" + gpu + "): "
                    + e.getMessage() + ". The GPU build needs an NVIDIA GPU with its driver, CUDA 12 and cuDNN 9 "
                    + "libraries on the library path (LD_LIBRARY_PATH); without one, set soft_labels.onnx_device: cpu");
        }
    }

    /** No usable GPU for ONNX Runtime: the message says what is missing and what to do. */
    public static final class GpuUnavailableException extends org.kdspark.kd.error.JobFailedException {
        private static final long serialVersionUID = 1L;

        public GpuUnavailableException(String message) {
            super(message);
        }
    }
}
