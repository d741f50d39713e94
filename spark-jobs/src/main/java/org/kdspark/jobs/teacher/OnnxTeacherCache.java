package org.kdspark.jobs.teacher;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.spark.TaskContext;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.onnx.OnnxClassifier;

/**
 * The ONNX teachers, each loaded once per executor JVM and shared by all its task threads: an ONNX Runtime session is
 * safe for concurrent runs, so unlike the DL4J teacher no copies are needed.
 *
 * <p>The session's intra-op threads are the cores one Spark task holds ({@code spark.task.cpus}): an executor with
 * {@code k} cores runs {@code k / task.cpus} tasks at once, each on its own cores, and ONNX Runtime's threads do not
 * spin (see {@link org.kdspark.kd.onnx.OnnxRuntimeEnvironment#cpuOptions}), so labelling never oversubscribes the
 * executor. Keyed by the model's SHA-256 and the outputs asked for. It holds the {@value #CAPACITY} most recently used
 * models, enough for an ensemble's ONNX teachers to stay open side by side, so that a long-lived executor does not
 * accumulate the teachers of past jobs; a model it drops is closed once no task runs it any more.
 */
public final class OnnxTeacherCache {

    /** Models kept open at most. */
    static final int CAPACITY = 8;

    /** Guarded by itself. */
    private static final Map<String, Entry> MODELS = new LinkedHashMap<>(16, 0.75f, true);
    private static final AtomicInteger LOADS = new AtomicInteger();

    private OnnxTeacherCache() {
    }

    /** An open model and the runs in flight on it. */
    private static final class Entry {
        final OnnxClassifier model;
        int running;
        boolean dropped;

        Entry(OnnxClassifier model) {
            this.model = model;
        }
    }

    /**
     * Runs {@code work} on the classifier for {@code sha256} fed as {@code spec} says (a classifier normalises the pixels
     * it is given, so the spec is part of the key); {@code onnx} is read only when this JVM does not hold the
     * model open. The model stays open while {@code work} runs, even if other models push it out of the cache meanwhile.
     */
    public static <T> T run(String sha256, Supplier<byte[]> onnx, InputSpec spec, String logitsOutput, List<String> taps, boolean cuda,
            Function<OnnxClassifier, T> work) {
        int threads = taskCores();
        String key = sha256 + "|" + spec + "|" + logitsOutput + "|" + String.join(",", taps) + "|" + threads + "|" + cuda;
        Entry entry;
        synchronized (MODELS) {
            entry = MODELS.get(key);
            if (entry == null) {
                LOADS.incrementAndGet();
                entry = new Entry(OnnxClassifier.open(onnx.get(), spec, logitsOutput, taps, threads, cuda));
                MODELS.put(key, entry);
                dropBeyondCapacity();
            }
            entry.running++;
        }
        try {
            return work.apply(entry.model);
        } finally {
            synchronized (MODELS) {
                entry.running--;
                if (entry.dropped && entry.running == 0) {
                    entry.model.close();
                }
            }
        }
    }

    /** Drops the least recently used models beyond {@link #CAPACITY}, closing those no task runs. */
    private static void dropBeyondCapacity() {
        Iterator<Entry> eldest = MODELS.values().iterator();
        while (MODELS.size() > CAPACITY) {
            Entry e = eldest.next();
            eldest.remove();
            e.dropped = true;
            if (e.running == 0) {
                e.model.close();
            }
        }
    }

    /** How many times this JVM created an ONNX Runtime session for a teacher (tests check: once per executor). */
    public static int loads() {
        return LOADS.get();
    }

    /** Models open now (tests). */
    static int open() {
        synchronized (MODELS) {
            return MODELS.size();
        }
    }

    /** The cores of the running Spark task ({@code spark.task.cpus}); outside a task, the machine's cores. */
    public static int taskCores() {
        TaskContext task = TaskContext.get();
        return task == null ? Runtime.getRuntime().availableProcessors() : Math.max(1, task.cpus());
    }
}
