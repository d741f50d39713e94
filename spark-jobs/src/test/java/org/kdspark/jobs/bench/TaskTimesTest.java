package org.kdspark.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.TestSpark;

/** The task times of one piece of driver code: its Spark jobs' tasks only, and the cores' idle time from them. */
class TaskTimesTest {

    private final SparkSession spark = TestSpark.session();

    @Test
    void countsTheTasksOfTheGroupsJobsOnly() {
        long[] wall = new long[1];
        LongAccumulator bodyCpuNanos = spark.sparkContext().longAccumulator("task-body-cpu");
        double jitTotalBefore = TaskTimes.jitSeconds();
        TaskTimes.Measured<Long> m = TaskTimes.of(spark.sparkContext(), "task-times-test", 2, () -> {
            long start = System.nanoTime();
            // two jobs in the group: 3 + 4 tasks, each sleeping 100 ms; the first job's tasks also spin on the CPU a little
            // and add the CPU time their own thread measured
            spark.range(0, 3, 1, 3).javaRDD().foreach(x -> {
                ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                long cpu0 = threads.getCurrentThreadCpuTime();
                while (threads.getCurrentThreadCpuTime() - cpu0 < 5_000_000L) {
                    Math.sqrt(x + cpu0);
                }
                bodyCpuNanos.add(threads.getCurrentThreadCpuTime() - cpu0);
                Thread.sleep(100);
            });
            long n = spark.range(0, 4, 1, 4).javaRDD().map(x -> {
                Thread.sleep(100);
                return x;
            }).count();
            wall[0] = System.nanoTime() - start;
            return n;
        }, n -> wall[0] / 1e9);
        // a job after the group's: not counted
        spark.range(0, 5, 1, 5).count();

        Map<String, Object> t = m.taskTimes();
        assertEquals(4L, m.result());
        assertEquals(7, t.get("tasks"), t.toString());
        double taskSeconds = (Double) t.get("task_seconds");
        assertTrue(taskSeconds >= 7 * 0.1, "every task slept 100 ms: " + t);
        assertTrue((Double) t.get("run_seconds") <= taskSeconds, t.toString());
        // a task thread's CPU time is at most its run time (each rounded down to the millisecond), and at least what its
        // body measured of itself: CPU time, not run time
        double cpu = (Double) t.get("cpu_seconds");
        assertTrue(cpu <= (Double) t.get("run_seconds") + 7 * 0.001, t.toString());
        assertTrue(cpu >= bodyCpuNanos.value() / 1e9, bodyCpuNanos.value() / 1e9 + " s measured in the tasks, " + t);
        double wallSeconds = wall[0] / 1e9;
        assertEquals(2 * wallSeconds - taskSeconds, (Double) t.get("idle_core_seconds"), 1e-9);
        assertEquals(taskSeconds / (2 * wallSeconds), (Double) t.get("busy_fraction"), 1e-9);
        // the two parts of the idle time: outside the tasks' span (both cores) and inside it
        double outside = (Double) t.get("outside_tasks_seconds");
        assertTrue(outside >= 0 && outside <= wallSeconds, t.toString());
        assertEquals((Double) t.get("idle_core_seconds"), 2 * outside + (Double) t.get("span_idle_core_seconds"), 1e-9);
        // the JVM's CPU time includes the tasks' own
        assertTrue((Double) t.get("jvm_cpu_seconds") >= cpu, t.toString());
        // the JIT compiler's time over the work: never negative, and no more than it compiled from before the work to now,
        // which is less than its total since the JVM started (Spark's start-up was compiled before)
        double jit = (Double) t.get("jit_seconds");
        double jitTotal = TaskTimes.jitSeconds();
        assertTrue(jit >= 0 && jit <= jitTotal - jitTotalBefore + 1e-9 && jitTotalBefore > 0, jit + " s, " + jitTotalBefore + " s before, "
                + jitTotal + " s now");
    }
}
