package org.kdspark.jobs.onnx;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.spark.TaskContext;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.onnx.OnnxClassifier;

/**
 * The ONNX teacher, loaded once per executor JVM and shared by all its task threads: an ONNX Runtime session is
 * safe for concurrent runs, so unlike the DL4J teacher no copies are needed.
 *
 * <p>The session's intra-op threads are the cores one Spark task holds ({@code spark.task.cpus}): an executor with
 * {@code k} cores runs {@code k / task.cpus} tasks at once, each on its own cores, and ONNX Runtime's threads do not
 * spin (see {@link org.kdspark.kd.onnx.OnnxRuntimeEnvironment#cpuOptions}), so labelling never oversubscribes the
 * executor. Keyed by the model's SHA-256 and the outputs asked for; a new key evicts (and closes) the old entries,
 * so a long-lived executor holds only the current job's teacher.
 */
public final class OnnxTeacherCache {

    private static final Map<String, OnnxClassifier> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private OnnxTeacherCache() {
    }

    /** The classifier for {@code sha256}; {@code onnx} is read only the first time this JVM sees the key. */
    public static OnnxClassifier get(String sha256, Supplier<byte[]> onnx, InputSpec spec, String logitsOutput, List<String> taps,
            boolean cuda) {
        int threads = taskCores();
        String key = sha256 + "|" + logitsOutput + "|" + String.join(",", taps) + "|" + threads + "|" + cuda;
        OnnxClassifier model = MODELS.get(key);
        if (model != null) {
            return model;
        }
        synchronized (MODELS) {
            model = MODELS.get(key);
            if (model == null) {
                MODELS.entrySet().removeIf(e -> {
                    e.getValue().close();
                    return true;
                });
                LOADS.incrementAndGet();
                model = OnnxClassifier.open(onnx.get(), spec, logitsOutput, taps, threads, cuda);
                MODELS.put(key, model);
            }
            return model;
        }
    }

    /** How many times this JVM created an ONNX Runtime session for a teacher (tests check: once per executor). */
    public static int loads() {
        return LOADS.get();
    }

    /** The cores of the running Spark task ({@code spark.task.cpus}); outside a task, the machine's cores. */
    public static int taskCores() {
        TaskContext task = TaskContext.get();
        return task == null ? Runtime.getRuntime().availableProcessors() : Math.max(1, task.cpus());
    }
}
