package org.kdspark.jobs.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.apache.spark.SparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Where a Spark job's wall-clock time went on the executors' cores: the tasks of every Spark job that a piece of driver
 * code starts, summed from the listener bus. {@code idle_core_seconds} is what the cores did not spend in a task;
 * {@code outside_tasks_seconds} is the part of the wall-clock time before the first task started and after the last
 * one ended (the driver's own work), and {@code span_idle_core_seconds} the cores' idle time in between (scheduling
 * gaps, a last task running alone). Inside the tasks, {@code cpu_seconds} is the task threads' CPU time (ONNX Runtime
 * runs on them: one intra-op thread per task), the rest of {@code task_seconds} off the CPU: waiting, or runnable
 * while other threads had the cores. {@code jvm_cpu_seconds} is the CPU time of this whole JVM over the work (in local
 * mode the driver and the executors): what it used beyond the tasks' own went to other threads (the driver, the JIT
 * compiler, the garbage collector, Spark's own), and the cores' time beyond it was not used by this JVM at all;
 * {@code jit_seconds} is the part the JIT compiler's threads spent compiling ({@link #jitSeconds}).
 */
final class TaskTimes extends SparkListener {

    private static final String GROUP = "spark.jobGroup.id";

    private final String group;
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private int tasks;
    private long durationMs;
    private long runMs;
    private long cpuNs;
    private long deserializeMs;
    private long gcMs;
    private long firstLaunchMs = Long.MAX_VALUE;
    private long lastFinishMs = Long.MIN_VALUE;

    private TaskTimes(String group) {
        this.group = group;
    }

    /**
     * Runs {@code work} in a job group of its own and returns its result with the group's task times over
     * {@code cores} cores and {@code seconds} of wall-clock time, as {@code seconds} computes from the result.
     */
    static <T> Measured<T> of(SparkContext sc, String group, int cores, Supplier<T> work, ToDoubleFunction<T> seconds) {
        TaskTimes times = new TaskTimes(group);
        sc.addSparkListener(times);
        T result;
        long jvmCpu;
        double jit;
        try {
            sc.setJobGroup(group, group, false);
            long cpuBefore = jvmCpuNanos();
            double jitBefore = jitSeconds();
            try {
                result = work.get();
            } finally {
                sc.clearJobGroup();
            }
            jvmCpu = jvmCpuNanos() - cpuBefore;
            jit = jitSeconds() - jitBefore;
            // the bus delivers events on its own thread: every task end of the finished jobs is queued by now
            sc.listenerBus().waitUntilEmpty();
        } catch (TimeoutException e) {
            throw new IllegalStateException("Spark's listener bus did not drain in 10 s: task times of " + group + " incomplete", e);
        } finally {
            sc.removeSparkListener(times);
        }
        Map<String, Object> figures = times.figures(cores, seconds.applyAsDouble(result));
        figures.put("jvm_cpu_seconds", jvmCpu < 0 ? Double.NaN : jvmCpu / 1e9);
        figures.put("jit_seconds", jit);
        return new Measured<>(result, figures);
    }

    /**
     * Seconds this JVM's JIT compiler threads have spent compiling so far (summed over them), or NaN where the JVM
     * does not say.
     */
    static double jitSeconds() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() / 1e3 : Double.NaN;
    }

    /** This JVM's CPU time so far, or -1 where the platform does not say. */
    private static long jvmCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }

    /** A result and the task times of the Spark jobs that produced it. */
    record Measured<T>(T result, Map<String, Object> taskTimes) {
    }

    @Override
    public void onJobStart(SparkListenerJobStart job) {
        if (job.properties() != null && group.equals(job.properties().getProperty(GROUP))) {
            for (Object stage : scala.collection.JavaConverters.seqAsJavaList(job.stageIds())) {
                stages.add((Integer) stage);
            }
        }
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd task) {
        if (!stages.contains(task.stageId())) {
            return;
        }
        tasks++;
        durationMs += task.taskInfo().duration();
        firstLaunchMs = Math.min(firstLaunchMs, task.taskInfo().launchTime());
        lastFinishMs = Math.max(lastFinishMs, task.taskInfo().finishTime());
        TaskMetrics m = task.taskMetrics();
        if (m != null) {
            runMs += m.executorRunTime();
            cpuNs += m.executorCpuTime();
            deserializeMs += m.executorDeserializeTime();
            gcMs += m.jvmGCTime();
        }
    }

    private synchronized Map<String, Object> figures(int cores, double wallSeconds) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("tasks", tasks);
        f.put("task_seconds", durationMs / 1e3);
        f.put("run_seconds", runMs / 1e3);
        f.put("cpu_seconds", cpuNs / 1e9);
        f.put("deserialize_seconds", deserializeMs / 1e3);
        f.put("gc_seconds", gcMs / 1e3);
        f.put("idle_core_seconds", cores * wallSeconds - durationMs / 1e3);
        double span = tasks == 0 ? 0 : (lastFinishMs - firstLaunchMs) / 1e3;
        f.put("outside_tasks_seconds", wallSeconds - span);
        f.put("span_idle_core_seconds", cores * span - durationMs / 1e3);
        f.put("busy_fraction", durationMs / 1e3 / (cores * wallSeconds));
        return f;
    }
}
