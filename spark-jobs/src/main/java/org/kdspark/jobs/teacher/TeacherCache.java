package org.kdspark.jobs.teacher;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.model.ModelFiles;

/**
 * The DL4J teachers, each deserialised once per executor JVM and shared by its task threads.
 *
 * <p>Keyed by the model's SHA-256, so a new teacher version is a new entry. DL4J graphs are not safe for concurrent
 * inference, so each concurrent task borrows its own copy: the first from the deserialised model, further ones as
 * in-memory clones (no second read of the model file). The cache holds the {@value #CAPACITY} most recently used
 * teachers, enough for an ensemble's DL4J members to stay loaded side by side while a long-lived executor does not
 * accumulate the teachers of past jobs; a copy borrowed from a teacher dropped meanwhile is simply not kept.
 */
public final class TeacherCache {

    /** Teachers kept loaded at most. */
    static final int CAPACITY = 8;

    /** Guarded by itself; in access order, eldest first. */
    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>(16, 0.75f, true);
    private static final AtomicInteger LOADS = new AtomicInteger();

    private TeacherCache() {
    }

    /** Borrows a teacher; {@code zip} is only called when this JVM does not hold {@code sha256} loaded. */
    public static ComputationGraph borrow(String sha256, Supplier<byte[]> zip) {
        Entry entry;
        synchronized (ENTRIES) {
            // loaded under the lock: the tasks that start together on a new executor wait for one load, not one each
            entry = ENTRIES.get(sha256);
            if (entry == null) {
                LOADS.incrementAndGet();
                entry = new Entry(ModelFiles.graphFromZip(zip.get(), false));
                ENTRIES.put(sha256, entry);
                while (ENTRIES.size() > CAPACITY) {
                    ENTRIES.remove(ENTRIES.keySet().iterator().next());
                }
            }
        }
        ComputationGraph graph = entry.idle.poll();
        return graph != null ? graph : entry.prototype.clone();
    }

    public static void release(String sha256, ComputationGraph graph) {
        Entry entry;
        synchronized (ENTRIES) {
            entry = ENTRIES.get(sha256);
        }
        if (entry != null) {
            entry.idle.offer(graph);
        }
    }

    /** How many times this JVM deserialised a teacher (tests check it is once per teacher and executor). */
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
