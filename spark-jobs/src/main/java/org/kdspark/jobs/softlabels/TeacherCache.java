package org.kdspark.jobs.softlabels;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.model.ModelFiles;

/**
 * The teacher, deserialised once per executor JVM and shared by its task threads.
 *
 * <p>Keyed by the model's SHA-256, so a new teacher version is a new entry. DL4J graphs are not safe for
 * concurrent inference, so each concurrent task borrows its own copy: the first from the deserialised
 * model, further ones as in-memory clones (no second read of the model file).
 */
public final class TeacherCache {

    private static final Map<String, Entry> ENTRIES = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private TeacherCache() {
    }

    /** Borrows a teacher; {@code zip} is only called the first time this JVM sees {@code sha256}. */
    public static ComputationGraph borrow(String sha256, Supplier<byte[]> zip) {
        if (!ENTRIES.containsKey(sha256)) {
            // a long-lived executor keeps only the teacher of the current job
            ENTRIES.keySet().removeIf(other -> !other.equals(sha256));
        }
        Entry entry = ENTRIES.computeIfAbsent(sha256, k -> {
            LOADS.incrementAndGet();
            ComputationGraph graph = ModelFiles.graphFromZip(zip.get(), false);
            return new Entry(graph);
        });
        ComputationGraph graph = entry.idle.poll();
        return graph != null ? graph : entry.prototype.clone();
    }

    public static void release(String sha256, ComputationGraph graph) {
        Entry entry = ENTRIES.get(sha256);
        if (entry != null) {
            entry.idle.offer(graph);
        }
    }

    /** How many times this JVM deserialised a teacher (tests check it is once per executor). */
    public static int loads() {
        return LOADS.get();
    }

    private static final class Entry {
        final ComputationGraph prototype;
        final ConcurrentLinkedQueue<ComputationGraph> idle = new ConcurrentLinkedQueue<>();

        Entry(ComputationGraph prototype) {
            this.prototype = prototype;
            idle.offer(prototype);
        }
    }
}
