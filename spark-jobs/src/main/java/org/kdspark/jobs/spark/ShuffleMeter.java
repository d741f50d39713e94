package org.kdspark.jobs.spark;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Counts the shuffle bytes written by every task of a Spark context from its creation until {@link #close()}, as Spark's
 * task metrics report them (the figure of the UI's "Shuffle Write"). {@link #bytes()} first waits for the listener bus
 * to deliver the events of tasks that have ended.
 */
public final class ShuffleMeter implements AutoCloseable {
    private final SparkContext sc;
    private final AtomicLong written = new AtomicLong();
    private final SparkListener listener = new SparkListener() {
        @Override
        public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
            TaskMetrics metrics = taskEnd.taskMetrics();
            if (metrics != null) {
                written.addAndGet(metrics.shuffleWriteMetrics().bytesWritten());
            }
        }
    };

    public ShuffleMeter(SparkContext sc) {
        this.sc = sc;
        sc.addSparkListener(listener);
    }

    /** Shuffle bytes written so far, once the events of the tasks that have ended are in (waits up to 10 s). */
    public long bytes() {
        try {
            sc.listenerBus().waitUntilEmpty(10_000L);
        } catch (java.util.concurrent.TimeoutException e) {
            // a busy bus: the figure may miss the last tasks' bytes
        }
        return written.get();
    }

    @Override
    public void close() {
        sc.removeSparkListener(listener);
    }
}
